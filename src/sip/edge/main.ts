// Standalone edge: `node dist/sip/edge/main.js <options.json>` (or via tsx). Used by the
// drachtio-srf suite; spangate itself starts the edge through edge-worker.ts.

import { readFile } from 'node:fs/promises';
import { SipEdge, type SipEdgeOptions } from './server.js';
import type { EdgeLogger } from './logger.js';

const consoleLogger: EdgeLogger = {
  debug: () => undefined,
  info: (o, m) => console.log(JSON.stringify({ level: 'info', msg: m, ...o })),
  warn: (o, m) => console.error(JSON.stringify({ level: 'warn', msg: m, ...o })),
  error: (o, m) => console.error(JSON.stringify({ level: 'error', msg: m, ...o, err: String((o as { err?: unknown }).err ?? '') })),
};

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: main.js <options.json>');
    process.exit(2);
  }
  const opts = JSON.parse(await readFile(file, 'utf8')) as SipEdgeOptions;
  const edge = new SipEdge({ ...opts, logger: consoleLogger });
  const addr = await edge.start();
  console.log(`sip-edge ready ${JSON.stringify(addr)}`);
  const stop = (): void => {
    void edge.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`sip-edge failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
