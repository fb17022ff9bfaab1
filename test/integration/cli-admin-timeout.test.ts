// Live commands give up on a daemon that does not answer (exit 1, says so) and report a
// daemon that is not running (exit 3, names the socket).
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../fixtures/daemon.js';
import { tmpDir } from '../fixtures/tmp.js';

t.test('a daemon that never answers', async (t) => {
  const socket = join(tmpDir(t), 'hung.sock');
  const conns = new Set<Socket>();
  const hung = createServer((s) => {
    conns.add(s);
    s.resume();
  }).listen(socket);
  await once(hung, 'listening');
  t.teardown(() => {
    for (const s of conns) s.destroy();
    hung.close();
  });
  const r = await runCli(['status', '--socket', socket, '--timeout', '1500']);
  t.equal(r.code, 1);
  // On a starved machine the connect itself may be what runs out of time.
  t.match(r.stderr, /^spangate: (daemon did not answer status|no connection to admin socket \S+) within 1500 ms\n$/);
});

t.test('no daemon', async (t) => {
  const socket = join(tmpDir(t), 'none.sock');
  const r = await runCli(['status', '--socket', socket]);
  t.equal(r.code, 3);
  t.equal(r.stderr, `spangate: daemon is not running (no socket at ${socket})\n`);
  const rel = await runCli(['config', 'reload', '--socket', socket]);
  t.equal(rel.code, 3);
});
