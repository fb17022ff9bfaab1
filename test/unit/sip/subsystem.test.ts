// The SIP subsystem's lifecycle with a fake edge host and a fake srf connection: embedded start
// (random secret, control on loopback), ready/down events, the srf getter, supervision (edge
// death → restart with a new secret, lost connection → reconnect), external mode that keeps
// trying, drain, reload of the overload limits, stop, health, show.sip and metrics.
import t from 'tap';
import { DaemonError, SipUnavailableError } from '../../../src/errors.js';
import type { EdgeHostOptions } from '../../../src/sip/edge/edge-host.js';
import type { SipEdgeAddresses, SipEdgeOptions } from '../../../src/sip/edge/server.js';
import type { SrfConnectOptions, SrfConnection, Srf } from '../../../src/sip/srf.js';
import { parseHostports, SipSubsystem, type EdgeHostLike, type SipView } from '../../../src/sip/subsystem.js';
import { admin, config, memoryLog, metrics, scrape } from '../../fixtures/subsystem.js';

class FakeEdge implements EdgeHostLike {
  running = false;
  pid: number | undefined = undefined;
  threadId: number | undefined = 7;
  startOpts: Omit<SipEdgeOptions, 'logger'> | undefined;
  overloads: unknown[] = [];
  stopped = 0;
  dialogs = 0;
  constructor(readonly o: EdgeHostOptions, private readonly fail: string | undefined, readonly port: number) {}
  async start(opts: Omit<SipEdgeOptions, 'logger'>): Promise<SipEdgeAddresses> {
    this.startOpts = opts;
    if (this.fail) throw new Error(this.fail);
    this.running = true;
    return { sip: opts.sip.map((l, i) => ({ ...l, port: l.port || 40000 + i })), controlPort: this.port, controlPlainPort: undefined };
  }
  async stats(): Promise<Record<string, number>> {
    return { 'req|in|OPTIONS': 3, 'res|out|OPTIONS|200': 3, dialogs: this.dialogs, serverTransactions: 1, clientTransactions: 0, 'transport.parseErrors': 2, 'transport.badRequestsAnswered': 1 };
  }
  setOverload(o: NonNullable<SipEdgeOptions['overload']>): void {
    this.overloads.push(o);
  }
  tls: unknown[] = [];
  setTls(m: unknown): void {
    this.tls.push(m);
  }
  async stop(): Promise<void> {
    this.stopped++;
    this.running = false;
  }
  /** The thread died on its own. */
  die(): void {
    this.running = false;
    this.o.onExit?.('sip edge worker exited (1)');
  }
}

class FakeConn implements SrfConnection {
  readonly handlers = new Map<string, Function>();
  readonly srf: Srf;
  closed = false;
  gone: ((reason: string) => void) | undefined;
  constructor(readonly opts: SrfConnectOptions, readonly hostport = 'udp/127.0.21.1:5060') {
    this.srf = { use: (m: string, fn: Function) => this.handlers.set(m, fn) } as unknown as Srf;
  }
  onGone(cb: (reason: string) => void): void {
    this.gone = cb;
  }
  close(): void {
    this.closed = true;
  }
}

function make(raw: Record<string, unknown> = {}, o: { edgeFail?: string; connectFails?: number } = {}) {
  const edges: FakeEdge[] = [];
  const conns: FakeConn[] = [];
  let failures = o.connectFails ?? 0;
  const m = metrics();
  const a = admin();
  const { log, lines } = memoryLog();
  const sip = new SipSubsystem({
    config: config(raw), log, metrics: m, admin: a,
    makeEdge: (eo) => {
      const e = new FakeEdge(eo, edges.length === 0 ? o.edgeFail : undefined, 9100 + edges.length);
      edges.push(e);
      return e;
    },
    connect: async (co) => {
      if (failures > 0) {
        failures--;
        throw new Error('connect ECONNREFUSED');
      }
      const c = new FakeConn(co);
      conns.push(c);
      return c;
    },
  });
  t.teardown(() => sip.stop());
  return { sip, edges, conns, m, a, lines };
}

const LISTEN = { sip: { edge: { listen: [{ proto: 'udp', host: '127.0.21.1', port: 0 }, { proto: 'tcp', host: '127.0.21.1', port: 5062 }] } } };

t.test('embedded start: edge on loopback control with a random secret, srf connected to it', async (t) => {
  const { sip, edges, conns } = make(LISTEN);
  t.throws(() => sip.srf, SipUnavailableError, 'no srf before start');
  const seen: Srf[] = [];
  sip.onReady((s) => seen.push(s));
  await sip.start();
  t.equal(edges.length, 1);
  const so = edges[0]!.startOpts!;
  t.match(so.control, { host: '127.0.0.1', port: 0 });
  t.ok(so.control.secret.length >= 24, 'a long random secret');
  t.same(so.sip.map((l) => [l.proto, l.host, l.port]), [['udp', '127.0.21.1', 0], ['tcp', '127.0.21.1', 5062]]);
  t.match(conns[0]!.opts, { host: '127.0.0.1', port: 9100, secret: so.control.secret });
  t.equal(sip.srf, conns[0]!.srf);
  t.same(seen, [conns[0]!.srf], 'ready handler called with the srf');
  const late: Srf[] = [];
  sip.onReady((s) => late.push(s));
  t.same(late, [conns[0]!.srf], 'a handler added later is called at once');
  t.ok(conns[0]!.handlers.has('invite') && conns[0]!.handlers.has('options'), 'gateway answers installed');
  t.same(sip.listeners, [{ proto: 'udp', host: '127.0.21.1', port: 40000 }, { proto: 'tcp', host: '127.0.21.1', port: 5062 }]);
  t.equal(sip.accepting, true);
  t.match(sip.health(), { status: 'ok', detail: /embedded edge \(worker\) on udp\/127\.0\.21\.1:40000 tcp\/127\.0\.21\.1:5062, srf connected/ });
});

t.test('a dead edge is restarted with a new secret and a new srf is announced', async (t) => {
  const { sip, edges, conns, lines } = make(LISTEN);
  await sip.start();
  const downs: string[] = [];
  sip.on('down', (r) => downs.push(r));
  const readies: Srf[] = [];
  sip.on('ready', (s) => readies.push(s));
  const ready = new Promise<Srf>((r) => sip.on('ready', r));
  edges[0]!.die();
  t.match(downs, [/edge died: sip edge worker exited/]);
  t.equal(sip.health().status, 'down');
  t.throws(() => sip.srf, SipUnavailableError);
  t.ok(conns[0]!.closed, 'old srf disconnected');
  const srf2 = await ready;
  t.equal(edges.length, 2);
  t.not(edges[1]!.startOpts!.control.secret, edges[0]!.startOpts!.control.secret, 'a new secret per start');
  t.equal(srf2, conns[1]!.srf);
  t.equal(sip.srf, srf2);
  t.same(readies, [srf2]);
  const v = (await sip.show()) as SipView;
  t.match(v, { state: 'connected', edge: { restarts: 1 }, reconnects: 1 });
  t.ok(lines.some((l) => l.event === 'sip-edge-exit'));
});

t.test('a lost control connection is reconnected without restarting the edge', async (t) => {
  const { sip, edges, conns } = make(LISTEN);
  await sip.start();
  const ready = new Promise<Srf>((r) => sip.on('ready', r));
  conns[0]!.gone!('control connection closed');
  t.equal(sip.connected, false);
  await ready;
  t.equal(edges.length, 1, 'same edge');
  t.equal(conns.length, 2);
  t.match(conns[1]!.opts, { port: 9100 });
});

t.test('an edge that cannot start aborts start-up with the reason', async (t) => {
  const { sip } = make(LISTEN, { edgeFail: 'listen EADDRINUSE: address already in use 127.0.21.1:5062' });
  const err = await sip.start().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof DaemonError, 'a DaemonError');
  t.match((err as Error).message, /SIP edge could not start on udp\/127\.0\.21\.1:0 tcp\/127\.0\.21\.1:5062: listen EADDRINUSE/);
});

t.test('external mode: a server that is not up yet is retried; health down meanwhile', async (t) => {
  const { sip, edges, conns } = make({ sip: { edge: { mode: 'external', external: { host: '127.0.21.9', port: 9022, secret: 's3cret' } } } }, { connectFails: 1 });
  const ready = new Promise<Srf>((r) => sip.on('ready', r));
  await sip.start();
  t.equal(edges.length, 0, 'no embedded edge');
  t.match(sip.health(), { status: 'down', detail: /drachtio-server 127\.0\.21\.9:9022: .*ECONNREFUSED/ });
  await ready;
  t.match(conns[0]!.opts, { host: '127.0.21.9', port: 9022, secret: 's3cret' });
  t.same(sip.listeners, [{ proto: 'udp', host: '127.0.21.1', port: 5060 }], 'listeners as the server reports them');
  t.equal(sip.health().status, 'ok');
});

t.test('drain: not accepting; waits for the edge dialogs; stop releases everything', async (t) => {
  const { sip, edges, conns } = make({ ...LISTEN });
  await sip.start();
  edges[0]!.dialogs = 1;
  const drained = sip.drain(Date.now() + 60_000);
  t.equal(sip.accepting, false);
  t.match(sip.health(), { status: 'ok', detail: /draining/ });
  let done = false;
  void drained.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  t.equal(done, false, 'still draining while a dialog is up');
  edges[0]!.dialogs = 0;
  await drained;
  await sip.stop();
  t.equal(edges[0]!.stopped, 1);
  t.ok(conns[0]!.closed);
  t.equal(sip.state, 'stopped');
});

t.test('reload pushes the overload limits to the running edge', async (t) => {
  const { sip, edges } = make(LISTEN);
  await sip.start();
  sip.reload(config({ ...LISTEN, sip: { edge: { ...LISTEN.sip.edge, overload: { maxInviteRate: 50, retryAfterS: 9 } } } }));
  t.same(edges[0]!.overloads, [{ maxInviteRate: 50, maxPendingRequests: 5000, retryAfterSec: 9 }]);
  t.equal(sip.retryAfterS, 9);
});

t.test('show.sip and metrics come from the edge counters', async (t) => {
  const { sip, m, a } = make(LISTEN);
  await sip.start();
  const v = (await a.call('show.sip')) as SipView;
  t.match(v, { mode: 'embedded', runIn: 'worker', connected: true, accepting: true, control: '127.0.0.1:9100', edge: { threadId: 7, restarts: 0 } });
  t.equal(v.stats?.['req|in|OPTIONS'], 3);
  const text = await scrape(m);
  t.match(text, /^spangate_sip_up 1$/m);
  t.match(text, /^spangate_sip_requests_total\{direction="in",method="OPTIONS"\} 3$/m);
  t.match(text, /^spangate_sip_responses_total\{direction="out",method="OPTIONS",code="200"\} 3$/m);
  t.match(text, /^spangate_sip_malformed_total\{action="answered"\} 1$/m);
  t.match(text, /^spangate_sip_malformed_total\{action="dropped"\} 1$/m);
  t.match(text, /^spangate_sip_transactions\{kind="server"\} 1$/m);
});

t.test('parseHostports reads drachtio hostport lists', async (t) => {
  t.same(parseHostports('udp/10.0.0.5:5060,tcp/10.0.0.5:5060,tls/[::1]:5061,wss/1.2.3.4:443'), [
    { proto: 'udp', host: '10.0.0.5', port: 5060 }, { proto: 'tcp', host: '10.0.0.5', port: 5060 }, { proto: 'tls', host: '::1', port: 5061 },
  ]);
  t.same(parseHostports(''), []);
});
