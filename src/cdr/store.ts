// CDRs in SQLite (the only better-sqlite3 user): one row per call with both legs, times,
// causes, codecs and RTP counters, written in WAL mode so `spangate cdr` can read while the
// daemon writes. Times are milliseconds since the epoch (UTC).

import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CallRecord, Disposition } from '../call/call.js';
import type { StreamStats } from '../media/relay.js';
import { ConfigError } from '../errors.js';

const SCHEMA_VERSION = 3;
/** Columns added by schema 2 (TDM legs: span id and B-channel), appended to version-1 tables. */
const V2_COLUMNS = ['a_span TEXT', 'a_channel INTEGER', 'b_span TEXT', 'b_channel INTEGER'];
/** Added by schema 3: the call's transfers (JSON list, NULL when none), appended last. */
const V3_COLUMNS = ['transfers TEXT'];

const DDL = `
CREATE TABLE IF NOT EXISTS calls (
  id            TEXT PRIMARY KEY,
  started_at    INTEGER NOT NULL,
  progress_at   INTEGER,
  answered_at   INTEGER,
  ended_at      INTEGER NOT NULL,
  duration_ms   INTEGER NOT NULL,
  disposition   TEXT NOT NULL,
  cause         INTEGER NOT NULL,
  cause_text    TEXT NOT NULL,
  ended_by      TEXT NOT NULL,
  a_leg         TEXT NOT NULL,
  a_kind        TEXT NOT NULL,
  a_trunk       TEXT NOT NULL,
  a_calling     TEXT NOT NULL,
  a_called      TEXT NOT NULL,
  b_leg         TEXT,
  b_kind        TEXT,
  b_trunk       TEXT,
  b_calling     TEXT,
  b_called      TEXT,
  a_codec       TEXT,
  b_codec       TEXT,
  a_packets_in  INTEGER, a_packets_out INTEGER, a_bytes_in INTEGER, a_bytes_out INTEGER, a_packets_lost INTEGER,
  b_packets_in  INTEGER, b_packets_out INTEGER, b_bytes_in INTEGER, b_bytes_out INTEGER, b_packets_lost INTEGER,
  attempts      TEXT NOT NULL,
  route         TEXT NOT NULL,
  a_span        TEXT, a_channel INTEGER,
  b_span        TEXT, b_channel INTEGER,
  transfers     TEXT
);
CREATE INDEX IF NOT EXISTS calls_started ON calls(started_at);
CREATE INDEX IF NOT EXISTS calls_a_called ON calls(a_called);
CREATE INDEX IF NOT EXISTS calls_a_calling ON calls(a_calling);
CREATE INDEX IF NOT EXISTS calls_trunks ON calls(a_trunk, b_trunk);
`;

export interface CdrRow {
  id: string;
  startedAt: number;
  progressAt: number | null;
  answeredAt: number | null;
  endedAt: number;
  durationMs: number;
  disposition: Disposition;
  cause: number;
  causeText: string;
  endedBy: string;
  a: { leg: string; kind: string; trunk: string; calling: string; called: string; codec: string | null; rtp: RtpRow | null; span: string | null; channel: number | null };
  b: { leg: string; kind: string; trunk: string; calling: string; called: string; codec: string | null; rtp: RtpRow | null; span: string | null; channel: number | null } | null;
  attempts: CallRecord['attempts'];
  route: string[];
  /** Transfers during the call (blind, attended, replaced), in order; [] when none. */
  transfers: NonNullable<CallRecord['transfers']>;
}

export interface RtpRow {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  packetsLost: number | null;
}

export interface CdrFilter {
  /** Calls that started at or after / before these times (ms since the epoch). */
  since?: number;
  until?: number;
  /**
   * A number on either leg (calling or called). `*` is a wildcard: `+4930555*`, `*1234`.
   * Without `*` the number must match exactly.
   */
  number?: string;
  /** Inbound or outbound trunk. */
  trunk?: string;
  disposition?: Disposition | Disposition[];
  /** Newest first; default 100, at most 10,000. */
  limit?: number;
  offset?: number;
}

export interface CdrSummary {
  calls: number;
  answered: number;
  /** Answer-seizure ratio in percent (answered / calls), 0 with no calls. */
  asr: number;
  /** Average call duration of answered calls, in seconds. */
  acdS: number;
  byDisposition: Record<string, number>;
  byCause: Record<string, number>;
}

const DISPOSITIONS: readonly Disposition[] = ['answered', 'busy', 'no-answer', 'rejected', 'cancelled', 'no-route', 'failed'];

function likePattern(n: string): string {
  return n.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

export class CdrStore {
  readonly #db: Db;
  readonly #insert: Statement;

  /** Opens (creating if needed) the CDR database at `path` (':memory:' for tests). */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.#db = new Database(path);
    } catch (e) {
      throw new ConfigError(`cannot open CDR database ${path}: ${(e as Error).message}`, { path: 'cdr.path', cause: e });
    }
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 2000');
    const v = this.#db.pragma('user_version', { simple: true }) as number;
    if (v > SCHEMA_VERSION) {
      this.#db.close();
      throw new ConfigError(`CDR database ${path} has schema ${v}, newer than this spangate (${SCHEMA_VERSION})`, { path: 'cdr.path' });
    }
    if (v >= 1 && v < SCHEMA_VERSION) {
      // Older schemas: their missing columns, appended (INSERT below lists them last).
      // Schema 1 → 2: TDM span/channel; 2 → 3: transfers.
      const add = [...(v < 2 ? V2_COLUMNS : []), ...V3_COLUMNS];
      this.#db.transaction(() => { for (const c of add) this.#db.exec(`ALTER TABLE calls ADD COLUMN ${c}`); })();
    }
    this.#db.exec(DDL);
    this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.#insert = this.#db.prepare(`INSERT OR REPLACE INTO calls VALUES (
      @id, @started_at, @progress_at, @answered_at, @ended_at, @duration_ms, @disposition, @cause, @cause_text, @ended_by,
      @a_leg, @a_kind, @a_trunk, @a_calling, @a_called, @b_leg, @b_kind, @b_trunk, @b_calling, @b_called,
      @a_codec, @b_codec,
      @a_packets_in, @a_packets_out, @a_bytes_in, @a_bytes_out, @a_packets_lost,
      @b_packets_in, @b_packets_out, @b_bytes_in, @b_bytes_out, @b_packets_lost,
      @attempts, @route, @a_span, @a_channel, @b_span, @b_channel, @transfers)`);
  }

  get journalMode(): string {
    return this.#db.pragma('journal_mode', { simple: true }) as string;
  }

  /** Writes one finished call (a second write of the same id replaces it). */
  record(r: CallRecord): void {
    const rtp = (s: StreamStats | undefined, p: string): Record<string, number | null> => ({
      [`${p}_packets_in`]: s?.packetsIn ?? null,
      [`${p}_packets_out`]: s?.packetsOut ?? null,
      [`${p}_bytes_in`]: s?.bytesIn ?? null,
      [`${p}_bytes_out`]: s?.bytesOut ?? null,
      [`${p}_packets_lost`]: s?.packetsLost ?? null,
    });
    this.#insert.run({
      id: r.id,
      started_at: r.startedAt,
      progress_at: r.progressAt ?? null,
      answered_at: r.answeredAt ?? null,
      ended_at: r.endedAt,
      duration_ms: r.answeredAt !== undefined ? Math.max(0, r.endedAt - r.answeredAt) : 0,
      disposition: r.disposition,
      cause: r.cause,
      cause_text: r.causeText,
      ended_by: r.endedBy,
      a_leg: r.a.id, a_kind: r.a.kind, a_trunk: r.a.trunk, a_calling: r.a.calling, a_called: r.a.called,
      b_leg: r.b?.id ?? null, b_kind: r.b?.kind ?? null, b_trunk: r.b?.trunk ?? null, b_calling: r.b?.calling ?? null, b_called: r.b?.called ?? null,
      a_codec: r.media?.a.codec ?? null,
      b_codec: r.media?.b.codec ?? null,
      ...rtp(r.media?.a, 'a'),
      ...rtp(r.media?.b, 'b'),
      attempts: JSON.stringify(r.attempts),
      route: JSON.stringify(r.route),
      a_span: r.a.span ?? null, a_channel: r.a.channel ?? null,
      b_span: r.b?.span ?? null, b_channel: r.b?.channel ?? null,
      transfers: r.transfers && r.transfers.length > 0 ? JSON.stringify(r.transfers) : null,
    });
  }

  #where(f: CdrFilter): { sql: string; params: Record<string, unknown> } {
    const w: string[] = [];
    const p: Record<string, unknown> = {};
    if (f.since !== undefined) { w.push('started_at >= @since'); p['since'] = f.since; }
    if (f.until !== undefined) { w.push('started_at < @until'); p['until'] = f.until; }
    if (f.number !== undefined && f.number !== '') {
      if (f.number.includes('*')) {
        p['num'] = likePattern(f.number);
        w.push(`(a_calling LIKE @num ESCAPE '\\' OR a_called LIKE @num ESCAPE '\\' OR b_calling LIKE @num ESCAPE '\\' OR b_called LIKE @num ESCAPE '\\')`);
      } else {
        p['num'] = f.number;
        w.push('(a_calling = @num OR a_called = @num OR b_calling = @num OR b_called = @num)');
      }
    }
    if (f.trunk !== undefined) { w.push('(a_trunk = @trunk OR b_trunk = @trunk)'); p['trunk'] = f.trunk; }
    if (f.disposition !== undefined) {
      const list = Array.isArray(f.disposition) ? f.disposition : [f.disposition];
      for (const d of list) if (!DISPOSITIONS.includes(d)) throw new ConfigError(`unknown disposition ${JSON.stringify(d)} (one of ${DISPOSITIONS.join(', ')})`);
      w.push(`disposition IN (${list.map((_, i) => `@d${i}`).join(', ')})`);
      list.forEach((d, i) => { p[`d${i}`] = d; });
    }
    return { sql: w.length ? `WHERE ${w.join(' AND ')}` : '', params: p };
  }

  /** Calls matching the filter, newest first. */
  query(f: CdrFilter = {}): CdrRow[] {
    const { sql, params } = this.#where(f);
    const limit = Math.min(Math.max(1, f.limit ?? 100), 10_000);
    const rows = this.#db
      .prepare(`SELECT * FROM calls ${sql} ORDER BY started_at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit, offset: Math.max(0, f.offset ?? 0) }) as Record<string, unknown>[];
    return rows.map(toRow);
  }

  get(id: string): CdrRow | undefined {
    const r = this.#db.prepare('SELECT * FROM calls WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r ? toRow(r) : undefined;
  }

  /** Counts, ASR and ACD over the calls matching the filter (limit/offset ignored). */
  summary(f: CdrFilter = {}): CdrSummary {
    const { sql, params } = this.#where(f);
    const tot = this.#db.prepare(`SELECT COUNT(*) AS calls, SUM(answered_at IS NOT NULL) AS answered,
      AVG(CASE WHEN answered_at IS NOT NULL THEN duration_ms END) AS acd FROM calls ${sql}`).get(params) as { calls: number; answered: number | null; acd: number | null };
    const byDisposition: Record<string, number> = {};
    for (const r of this.#db.prepare(`SELECT disposition AS k, COUNT(*) AS n FROM calls ${sql} GROUP BY disposition`).all(params) as { k: string; n: number }[]) byDisposition[r.k] = r.n;
    const byCause: Record<string, number> = {};
    for (const r of this.#db.prepare(`SELECT cause AS k, COUNT(*) AS n FROM calls ${sql} GROUP BY cause`).all(params) as { k: number; n: number }[]) byCause[String(r.k)] = r.n;
    const answered = tot.answered ?? 0;
    return {
      calls: tot.calls,
      answered,
      asr: tot.calls ? Math.round((1000 * answered) / tot.calls) / 10 : 0,
      acdS: tot.acd ? Math.round(tot.acd / 100) / 10 : 0,
      byDisposition,
      byCause,
    };
  }

  /** Deletes calls that started before `before`; returns how many. */
  prune(before: number): number {
    return this.#db.prepare('DELETE FROM calls WHERE started_at < ?').run(before).changes;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function rtpOf(r: Record<string, unknown>, p: 'a' | 'b'): RtpRow | null {
  if (r[`${p}_packets_in`] === null || r[`${p}_packets_in`] === undefined) return null;
  return {
    packetsIn: r[`${p}_packets_in`] as number,
    packetsOut: r[`${p}_packets_out`] as number,
    bytesIn: r[`${p}_bytes_in`] as number,
    bytesOut: r[`${p}_bytes_out`] as number,
    packetsLost: (r[`${p}_packets_lost`] as number | null) ?? null,
  };
}

function toRow(r: Record<string, unknown>): CdrRow {
  return {
    id: r['id'] as string,
    startedAt: r['started_at'] as number,
    progressAt: r['progress_at'] as number | null,
    answeredAt: r['answered_at'] as number | null,
    endedAt: r['ended_at'] as number,
    durationMs: r['duration_ms'] as number,
    disposition: r['disposition'] as Disposition,
    cause: r['cause'] as number,
    causeText: r['cause_text'] as string,
    endedBy: r['ended_by'] as string,
    a: {
      leg: r['a_leg'] as string, kind: r['a_kind'] as string, trunk: r['a_trunk'] as string,
      calling: r['a_calling'] as string, called: r['a_called'] as string, codec: r['a_codec'] as string | null, rtp: rtpOf(r, 'a'),
      span: (r['a_span'] as string | null) ?? null, channel: (r['a_channel'] as number | null) ?? null,
    },
    b: r['b_leg'] === null ? null : {
      leg: r['b_leg'] as string, kind: r['b_kind'] as string, trunk: r['b_trunk'] as string,
      calling: r['b_calling'] as string, called: r['b_called'] as string, codec: r['b_codec'] as string | null, rtp: rtpOf(r, 'b'),
      span: (r['b_span'] as string | null) ?? null, channel: (r['b_channel'] as number | null) ?? null,
    },
    attempts: JSON.parse(r['attempts'] as string) as CallRecord['attempts'],
    route: JSON.parse(r['route'] as string) as string[],
    transfers: typeof r['transfers'] === 'string' ? JSON.parse(r['transfers']) as CdrRow['transfers'] : [],
  };
}
