// What the gateway recorded: CDR rows from its SQLite store (read while the daemon writes, WAL)
// or through `spangate cdr --json`, and Prometheus samples from /metrics.
import { existsSync } from 'node:fs';
import { CdrStore, type CdrRow } from '../../../src/cdr/store.js';
import { httpGet, runCli, WAIT_MS } from '../../fixtures/daemon.js';
import { waitUntil } from './gateway.js';

export type { CdrRow };

/** Every CDR row, newest first. */
export function readCdrs(file: string): CdrRow[] {
  if (!existsSync(file)) return [];
  const store = new CdrStore(file);
  try {
    return store.query({ limit: 10_000 });
  } finally {
    store.close();
  }
}

/** Waits until `n` CDR rows match `pred` (rows are written when calls end); returns them. */
export async function waitCdrs(file: string, n: number, pred: (r: CdrRow) => boolean = () => true, timeoutMs = WAIT_MS): Promise<CdrRow[]> {
  let rows: CdrRow[] = [];
  try {
    await waitUntil(() => (rows = readCdrs(file).filter(pred)).length >= n, `${n} CDR rows`, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}; rows now: ${JSON.stringify(readCdrs(file), null, 1).slice(0, 4000)}`);
  }
  return rows;
}

/** `spangate cdr --json --db FILE` (the CLI an operator runs). */
export async function cliCdrs(file: string): Promise<CdrRow[]> {
  const r = await runCli(['cdr', '--json', '--db', file]);
  if (r.code !== 0) throw new Error(`spangate cdr failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CdrRow[];
}

/** One sample's value from /metrics, 0 when absent; `labels` must all match. */
export async function metric(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const body = (await httpGet(`${metricsUrl}/metrics`)).body;
  let sum = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const kv of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[kv[1]!] = kv[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4]);
  }
  return sum;
}
