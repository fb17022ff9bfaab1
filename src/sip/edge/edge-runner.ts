// Entry of the edge when it runs off the main event loop: as a worker thread (parentPort) or
// as a forked child process (process.send). Both speak the same small message protocol with
// edge-host.ts: start → ready|failed, stats → stats, stop → stopped; logs flow up as records.

import { parentPort } from 'node:worker_threads';
import { SipEdge, type SipEdgeOptions, type EdgeTlsMaterial } from './server.js';
import type { EdgeLogger } from './logger.js';

export type HostToEdge =
  | { type: 'start'; opts: SipEdgeOptions }
  | { type: 'stats'; id: number }
  | { type: 'overload'; overload: NonNullable<SipEdgeOptions['overload']> }
  | { type: 'tls'; tls: EdgeTlsMaterial }
  | { type: 'stop' };
export type EdgeToHost =
  | { type: 'ready'; addr: Awaited<ReturnType<SipEdge['start']>> }
  | { type: 'failed'; message: string }
  | { type: 'stats'; id: number; stats: Record<string, number> }
  | { type: 'log'; level: keyof EdgeLogger; obj: Record<string, unknown>; msg: string | undefined }
  | { type: 'stopped' };

const post: (m: EdgeToHost) => void = parentPort
  ? (m) => parentPort?.postMessage(m)
  : (m) => {
      process.send?.(m);
    };

function plain(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    out[k] = v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v;
  }
  return out;
}

const logger: EdgeLogger = {
  debug: (o, m) => post({ type: 'log', level: 'debug', obj: plain(o), msg: m }),
  info: (o, m) => post({ type: 'log', level: 'info', obj: plain(o), msg: m }),
  warn: (o, m) => post({ type: 'log', level: 'warn', obj: plain(o), msg: m }),
  error: (o, m) => post({ type: 'log', level: 'error', obj: plain(o), msg: m }),
};

let edge: SipEdge | undefined;

async function onMessage(m: HostToEdge): Promise<void> {
  switch (m.type) {
    case 'start':
      try {
        edge = new SipEdge({ ...m.opts, logger });
        post({ type: 'ready', addr: await edge.start() });
      } catch (err) {
        post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
      }
      return;
    case 'stats':
      post({ type: 'stats', id: m.id, stats: edge?.stats() ?? {} });
      return;
    case 'overload':
      edge?.setOverload(m.overload);
      return;
    case 'tls':
      edge?.setTls(m.tls);
      return;
    case 'stop':
      await edge?.stop().catch(() => undefined);
      post({ type: 'stopped' });
      if (!parentPort) process.exit(0);
      parentPort.close();
      return;
  }
}

if (parentPort) parentPort.on('message', (m: HostToEdge) => void onMessage(m));
else {
  process.on('message', (m: HostToEdge) => void onMessage(m));
  // The host went away: stop serving rather than linger as an orphan.
  process.on('disconnect', () => void edge?.stop().finally(() => process.exit(0)));
}
