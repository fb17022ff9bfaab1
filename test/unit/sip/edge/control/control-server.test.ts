// The control socket against a real drachtio-srf client: authenticate, route, reconnect,
// ping, and the failure paths (wrong secret, unknown type, garbage framing).
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import Srf from 'drachtio-srf';
import { ControlServer, type ControlConnection, type ControlHandler } from '../../../../../src/sip/edge/control/control-server.js';
import { encodeFrame, FrameDecoder } from '../../../../../src/sip/edge/control/framing.js';

class RecordingHandler implements ControlHandler {
  sips: Array<{ id: string; txnId: string; dialogId: string; raw: string }> = [];
  closed: ControlConnection[] = [];
  appSip(conn: ControlConnection, m: { id: string; txnId: string; dialogId: string; routeUri: string; raw: string }): void {
    this.sips.push(m);
    conn.fail(m.id, 'not in this test');
  }
  appProxy(conn: ControlConnection, m: { id: string }): void {
    conn.fail(m.id, 'not in this test');
  }
  connectionClosed(conn: ControlConnection): void {
    this.closed.push(conn);
  }
}

async function startServer(t: { teardown(fn: () => unknown): void }): Promise<{ srv: ControlServer; port: number; handler: RecordingHandler }> {
  const srv = new ControlServer({ host: '127.0.0.1', port: 0, secret: 'cymru', version: 'v1.2.3-test' });
  const handler = new RecordingHandler();
  srv.setHandler(handler);
  srv.setHostports(() => ({ hostports: 'udp/203.0.113.5:5060,tcp/203.0.113.5:5060', localHostports: 'udp/10.0.0.5:5060,tcp/10.0.0.5:5060' }));
  const [port] = await srv.listen();
  t.teardown(() => srv.close());
  return { srv, port, handler };
}

function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = (): void => {
      if (cond()) return resolve();
      if (Date.now() - start > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

type SrfLike = InstanceType<typeof Srf> & { on(ev: string, fn: (...a: unknown[]) => void): unknown };

t.test('srf authenticates, gets both hostport lists and the version, and its routes register', async (t) => {
  const { srv, port } = await startServer(t);
  const srf = new Srf('tag-a') as SrfLike;
  srf.invite(() => undefined);
  (srf as unknown as { options(fn: () => void): void }).options(() => undefined);
  const connected = once(srf as unknown as NodeJS.EventEmitter, 'connect');
  srf.connect({ host: '127.0.0.1', port, secret: 'cymru' });
  const [err, hostport, version, local] = await connected;
  t.teardown(() => srf.disconnect());
  t.notOk(err);
  t.equal(hostport, 'udp/203.0.113.5:5060,tcp/203.0.113.5:5060');
  t.equal(version, 'v1.2.3-test');
  t.equal(local, 'udp/10.0.0.5:5060,tcp/10.0.0.5:5060');
  await waitFor(() => srv.routes.has('invite') && srv.routes.has('options'), 'routes');
  t.same(srv.routes.pick('invite', 'tag-a')?.tags, ['tag-a']);
});

t.test('a wrong secret is refused and the connection closed', async (t) => {
  const { srv, port } = await startServer(t);
  const srf = new Srf() as SrfLike;
  srf.invite(() => undefined);
  const connected = once(srf as unknown as NodeJS.EventEmitter, 'connect');
  srf.connect({ host: '127.0.0.1', port, secret: 'wrong', reconnect: { maxAttempts: 1 } } as Srf.SrfConfig);
  const [err] = await connected;
  t.teardown(() => srf.disconnect());
  t.match(String(err), /failed to authenticate/);
  t.notOk(srv.routes.has('invite'));
});

t.test('routes vanish the moment an app disconnects; round robin over two apps', async (t) => {
  const { srv, port, handler } = await startServer(t);
  const a = new Srf() as SrfLike;
  const b = new Srf() as SrfLike;
  for (const s of [a, b]) {
    s.invite(() => undefined);
    s.connect({ host: '127.0.0.1', port, secret: 'cymru' });
  }
  await waitFor(() => srv.routes.all('invite').length === 2, 'two routed apps');
  const first = srv.routes.pick('invite');
  const second = srv.routes.pick('invite');
  t.not(first, second);
  a.disconnect();
  await waitFor(() => srv.routes.all('invite').length === 1, 'route removal');
  t.equal(handler.closed.length, 1);
  b.disconnect();
  await waitFor(() => !srv.routes.has('invite'), 'all routes gone');
});

/** A raw client for the paths srf never takes. */
async function rawClient(t: { teardown(fn: () => unknown): void }, port: number): Promise<{ send(p: string): void; next(): Promise<string>; closed: Promise<unknown> }> {
  const s = net.connect({ host: '127.0.0.1', port });
  await once(s, 'connect');
  t.teardown(() => s.destroy());
  const dec = new FrameDecoder();
  const queue: string[] = [];
  let waiter: ((v: string) => void) | undefined;
  s.on('data', (d: Buffer) => {
    for (const f of dec.push(d)) {
      if (waiter) {
        const w = waiter;
        waiter = undefined;
        w(f);
      } else queue.push(f);
    }
  });
  return {
    send: (p) => s.write(encodeFrame(p)),
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift() as string) : new Promise((r) => (waiter = r))),
    closed: once(s, 'close'),
  };
}

t.test('ping gets pong; requests before authenticate, unknown types and garbage close the connection', async (t) => {
  const { port, handler } = await startServer(t);
  const c = await rawClient(t, port);
  c.send('m1|authenticate|cymru|');
  t.match(await c.next(), /^[^|]+\|response\|m1\|OK\|/);
  c.send('m2|ping');
  t.match(await c.next(), /^[^|]+\|response\|m2\|OK\|pong$/);
  c.send('m3|sip|||\r\nOPTIONS sip:x SIP/2.0\r\n\r\n');
  t.match(await c.next(), /\|response\|m3\|NOK\|not in this test/);
  t.equal(handler.sips.length, 1);
  c.send('m4|frobnicate');
  t.match(await c.next(), /\|response\|m4\|NO\|Unknown message type/);
  await c.closed;

  const d = await rawClient(t, port);
  d.send('m5|route|invite');
  t.match(await d.next(), /\|response\|m5\|NO\|/);
  await d.closed;

  const e = await rawClient(t, port);
  const s = net.connect({ host: '127.0.0.1', port });
  t.teardown(() => s.destroy());
  s.write('xyz#garbage');
  await once(s, 'close');
  e.send('m6|authenticate|cymru|');
  t.match(await e.next(), /\|response\|m6\|OK\|/, 'the server keeps serving others');
});
