// `spangate cdr`: reads call detail records straight from the CDR database (path from the
// config); works whether or not the daemon runs (SQLite WAL lets both at once).
import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { Disposition } from '../../call/call.js';
import { CdrStore, type CdrFilter, type CdrRow } from '../../cdr/store.js';
import { loadConfig, resolveConfigFile } from '../../config/index.js';
import { cdrFile } from '../../config/schema/cdr.js';
import { ConfigError } from '../../errors.js';
import { out } from '../output.js';
import { table } from './show.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A point in time: ISO 8601 ("2026-11-21", "2026-11-21T08:00Z") or an age ("30m", "2h", "7d"). */
export function parseWhen(value: string, now = Date.now()): number {
  const rel = /^(\d+)([smhd])$/.exec(value.trim());
  if (rel) return now - Number(rel[1]) * (UNITS[rel[2] as string] as number);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  }
  throw new InvalidArgumentError('must be an ISO 8601 time (2026-11-21T08:00:00Z) or an age such as 30m, 2h, 7d');
}

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000) throw new InvalidArgumentError('must be a whole number between 1 and 10000');
  return Number(value);
}

interface CdrOptions {
  config?: string;
  db?: string;
  since?: number;
  until?: number;
  number?: string;
  trunk?: string;
  disposition?: string;
  limit?: number;
  json?: boolean;
}

export function addCdrCommands(program: Command): void {
  program
    .command('cdr')
    .description('list call detail records, newest first (reads the CDR database; no daemon needed)')
    .option('-c, --config <file>', 'config naming the database (cdr.path; default: $SPANGATE_CONFIG, else /etc/spangate/spangate.json)')
    .option('--db <file>', 'read this CDR database instead of the configured one')
    .option('--since <time>', 'calls started at or after (ISO time or age: 30m, 2h, 7d)', (v: string) => parseWhen(v))
    .option('--until <time>', 'calls started before (ISO time or age)', (v: string) => parseWhen(v))
    .option('--number <n>', 'a calling or called number on either leg; * is a wildcard (+4930555*)')
    .option('--trunk <id>', 'inbound or outbound trunk')
    .option('--disposition <list>', 'answered, busy, no-answer, rejected, cancelled, no-route, failed (comma-separated)')
    .option('--limit <n>', 'at most this many rows (default 100)', parseLimit)
    .option('--json', 'print the rows as JSON')
    .action((o: CdrOptions) => {
      const path = o.db ?? cdrFile(loadConfig(resolveConfigFile(o.config)));
      if (!existsSync(path)) {
        throw new ConfigError(`no CDR database at ${path} (the daemon creates it at start when cdr.enabled is true)`, { path: 'cdr.path' });
      }
      const filter: CdrFilter = { limit: o.limit ?? 100 };
      if (o.since !== undefined) filter.since = o.since;
      if (o.until !== undefined) filter.until = o.until;
      if (o.number !== undefined) filter.number = o.number;
      if (o.trunk !== undefined) filter.trunk = o.trunk;
      if (o.disposition !== undefined) filter.disposition = o.disposition.split(',').map((d) => d.trim()) as Disposition[];
      const store = new CdrStore(path);
      try {
        const rows = store.query(filter);
        if (o.json) {
          out(JSON.stringify(rows, null, 2));
          return;
        }
        const s = store.summary(filter);
        out(formatCdrs(rows));
        out(`${rows.length} shown of ${s.calls} matching; answered ${s.answered} (ASR ${s.asr}%), ACD ${s.acdS}s  [${path}]`);
      } finally {
        store.close();
      }
    });
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A leg's trunk, with span/B-channel for TDM legs ("pstn (e1a/5)"). */
function where(r: NonNullable<CdrRow['b']>): string {
  return r.span ? `${r.trunk} (${r.span}/${r.channel ?? '-'})` : r.trunk;
}

function rtp(r: CdrRow['a']): string {
  return r.rtp ? `${r.rtp.packetsIn}/${r.rtp.packetsOut}` : '-';
}

export function formatCdrs(rows: CdrRow[]): string {
  if (rows.length === 0) return 'no matching calls';
  return table(
    ['STARTED (UTC)', 'DUR', 'DISPOSITION', 'CAUSE', 'FROM', 'TO', 'CALLING', 'CALLED', 'CODECS', 'RTP A in/out', 'RTP B in/out', 'ID'],
    rows.map((r) => [
      iso(r.startedAt),
      `${Math.round(r.durationMs / 1000)}s`,
      r.disposition,
      String(r.cause),
      where(r.a),
      r.b ? where(r.b) : '-',
      r.a.calling || '(none)',
      r.a.called,
      `${r.a.codec ?? '-'}/${r.b?.codec ?? '-'}`,
      rtp(r.a),
      r.b ? rtp(r.b) : '-',
      r.id,
    ]),
  );
}
