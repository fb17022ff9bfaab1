// The embedded SIP edge as its own process for bench/sip (separate pid, so its CPU and memory
// are measured apart from the B2BUA's). Same code as the worker-thread edge (dist/sip/edge).
// Usage: node edge.mjs <dist dir> <options.json>. SIGUSR2 prints {"edge":{rss,heapUsed,...stats}}.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, file] = process.argv.slice(2);
const { SipEdge } = await import(pathToFileURL(path.join(dist, 'sip/edge/server.js')).href);
const nop = () => undefined;
const logger = { debug: nop, info: nop, warn: (o, m) => console.error(`warn ${m}`), error: (o, m) => console.error(`error ${m} ${String(o?.err ?? '')}`) };
const edge = new SipEdge({ ...JSON.parse(await readFile(file, 'utf8')), logger });
console.log(`sip-edge ready ${JSON.stringify(await edge.start())}`);
// Dialogs still held, by state (role, +confirmed, +terminated, +awaiting ACK, -noapp): finds what a burst leaves behind.
const dialogStates = () => {
  const out = {};
  for (const d of edge.ua?.ctx?.dialogs?.values() ?? []) {
    const k = `${d.role}${d.confirmed ? '+confirmed' : ''}${d.terminated ? '+terminated' : ''}${d.pendingInvite ? '+awaitingAck' : ''}${d.conn && !d.conn.closed ? '' : '-noapp'}${d.sessionTimer ? '+st' : ''}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};
process.on('SIGUSR2', () => {
  if (global.gc) global.gc();
  const m = process.memoryUsage();
  console.log(JSON.stringify({ edge: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, ...edge.stats(), dialogStates: dialogStates() } }));
});
process.on('SIGTERM', () => { void edge.stop().finally(() => process.exit(0)); });
