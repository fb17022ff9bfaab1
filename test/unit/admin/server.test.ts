import { createServer, createConnection, type Server } from 'node:net';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import t from 'tap';
import { AdminClient, AdminMethods, AdminServer, adminRequest } from '../../../src/admin/index.js';
import { AdminError, ClosedError, ConfigError, DaemonError, TimeoutError } from '../../../src/errors.js';
import { LogManager } from '../../../src/log/index.js';
import { tmpDir, type Teardown } from '../../fixtures/tmp.js';

const log = new LogManager({ level: 'silent', subsystems: {} }, { write: () => undefined }).child('admin');

async function startServer(t: Teardown, opts: { timeoutMs?: number } = {}): Promise<{ socket: string; methods: AdminMethods; server: AdminServer }> {
  const socket = join(tmpDir(t), 'admin.sock');
  const methods = new AdminMethods();
  const server = new AdminServer({ socket, socketMode: '0600', requestTimeoutMs: opts.timeoutMs ?? 2_000 }, methods, log);
  await server.start();
  t.teardown(() => server.stop());
  return { socket, methods, server };
}

t.test('requests and answers by id; methods registered by subsystems', async (t) => {
  const { socket, methods, server } = await startServer(t);
  t.equal(statSync(socket).mode & 0o777, 0o600, 'socket mode from config');
  methods.register('echo', 'Echoes params.', (p) => p);
  methods.register('fail.config', 'Fails.', () => {
    throw new ConfigError('f.json: a.b: bad', { file: 'f.json', path: 'a.b', reason: 'bad' });
  });
  t.throws(() => methods.register('echo', 'again', () => 1), /already registered/);
  t.throws(() => methods.register('Bad', 'x', () => 1), /must match/);

  const c = await AdminClient.connect(socket, 2_000);
  t.teardown(() => c.close());
  const [a, b] = await Promise.all([c.request('echo', { n: 1 }), c.request('echo', { n: 2 })]);
  t.same([a, b], [{ n: 1 }, { n: 2 }]);
  const help = await c.request<{ method: string }[]>('help');
  t.same(help.map((m) => m.method), ['echo', 'fail.config', 'help']);

  const e1 = await c.request('nope').catch((e: unknown) => e);
  t.ok(e1 instanceof AdminError);
  t.match(e1, { reason: 'remote', remoteCode: 'ENOMETHOD' });
  const e2 = await c.request('fail.config').catch((e: unknown) => e);
  t.match(e2, { reason: 'remote', remoteCode: 'ECONFIG', data: { file: 'f.json', path: 'a.b', reason: 'bad' } });
  t.same(server.health(), { status: 'ok', detail: socket });
});

t.test('the daemon limits how long a method may run', async (t) => {
  const { socket, methods } = await startServer(t, { timeoutMs: 50 });
  let aborted = false;
  methods.register('hang', 'Never answers.', (_p, ctx) => new Promise(() => ctx.signal.addEventListener('abort', () => (aborted = true))));
  const e = await adminRequest(socket, 'hang', {}, 5_000).catch((err: unknown) => err);
  t.match(e, { reason: 'remote', remoteCode: 'ETIMEOUT', data: { timeoutMs: 50 } });
  t.ok(aborted, 'the handler was told to give up');
});

t.test('the client gives up on a silent daemon with a TimeoutError', async (t) => {
  const socket = join(tmpDir(t), 'silent.sock');
  // Reads requests and never answers.
  const conns = new Set<import('node:net').Socket>();
  const silent: Server = createServer((s) => {
    conns.add(s);
    s.resume();
  });
  silent.listen(socket);
  await once(silent, 'listening');
  t.teardown(() => {
    for (const s of conns) s.destroy();
    return new Promise<void>((r) => silent.close(() => r()));
  });
  const c = await AdminClient.connect(socket, 1_000);
  const e = await c.request('status', {}, 100).catch((err: unknown) => err);
  t.ok(e instanceof TimeoutError);
  t.match(e, { timeoutMs: 100, message: /did not answer status within 100 ms/ });
  c.close();
  const closed = await c.request('status').catch((err: unknown) => err);
  t.ok(closed instanceof ClosedError, 'requests after close are refused');
});

t.test('pending requests are rejected when the daemon goes away', async (t) => {
  const { socket, methods, server } = await startServer(t);
  let reached!: () => void;
  const inHandler = new Promise<void>((r) => (reached = r));
  methods.register('hang', 'Never answers.', () => {
    reached();
    return new Promise(() => undefined);
  });
  const c = await AdminClient.connect(socket, 1_000);
  const p = c.request('hang', {}, 10_000).catch((err: unknown) => err);
  await inHandler;
  await server.stop();
  t.ok((await p) instanceof ClosedError);
});

t.test('"daemon is not running" when there is no socket or nobody listens', async (t) => {
  const dir = tmpDir(t);
  const missing = join(dir, 'none.sock');
  const e = await adminRequest(missing, 'status', {}, 1_000).catch((err: unknown) => err);
  t.ok(e instanceof AdminError);
  t.match(e, { reason: 'not-running', message: `daemon is not running (no socket at ${missing})` });

  // A socket file left by a process that died: bind, then close without unlinking.
  const stale = join(dir, 'stale.sock');
  await makeStaleSocket(stale);
  const e2 = await adminRequest(stale, 'status', {}, 1_000).catch((err: unknown) => err);
  t.match(e2, { reason: 'not-running', message: /stale socket/ });
});

t.test('start removes a stale socket but refuses a live one or a non-socket file', async (t) => {
  const dir = tmpDir(t);
  const path = join(dir, 'admin.sock');
  await makeStaleSocket(path);
  const methods = new AdminMethods();
  const first = new AdminServer({ socket: path, socketMode: '0660', requestTimeoutMs: 1_000 }, methods, log);
  await first.start();
  t.teardown(() => first.stop());
  t.same(await adminRequest<unknown[]>(path, 'help', {}, 1_000).then((r) => r.length), 1);

  const second = new AdminServer({ socket: path, socketMode: '0660', requestTimeoutMs: 1_000 }, new AdminMethods(), log);
  const e = await second.start().catch((err: unknown) => err);
  t.ok(e instanceof DaemonError);
  t.match(e, { reason: 'socket-in-use' });
  t.ok(existsSync(path), 'the live socket is left alone');
  t.same(await adminRequest<unknown[]>(path, 'help', {}, 1_000).then((r) => r.length), 1, 'first still answers');

  const file = join(dir, 'file');
  writeFileSync(file, 'not a socket');
  const third = new AdminServer({ socket: file, socketMode: '0660', requestTimeoutMs: 1_000 }, new AdminMethods(), log);
  await t.rejects(third.start(), { reason: 'socket-in-use', message: /is not a socket/ });
});

t.test('bad input gets an error answer, never a crash', async (t) => {
  const { socket } = await startServer(t);
  const sock = createConnection(socket);
  await once(sock, 'connect');
  sock.setEncoding('utf8');
  let got = '';
  sock.on('data', (d: string) => (got += d));
  sock.write('not json\n{"id":7}\n');
  while (got.split('\n').length < 3) await once(sock, 'data');
  const [a, b] = got.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(a, { id: null, error: { code: 'EBADREQUEST' } });
  t.match(b, { id: 7, error: { code: 'EBADREQUEST' } });
  sock.write(`${'x'.repeat(1 << 20)}yy`);
  await once(sock, 'close');
  t.match(got, /longer than/);
  t.same(await adminRequest<unknown[]>(socket, 'help', {}, 1_000).then((r) => r.length), 1, 'server still fine');
});

async function makeStaleSocket(path: string): Promise<void> {
  // A child that binds the socket and is killed leaves the file behind.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout!, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
}
