// The media subsystem with a fake rtpengine supervisor and a fake native host: each relay is
// started only when a SIP trunk uses it, health and metrics follow them, a failed rtpengine start
// aborts, a failed native start leaves its trunks to rtpengine, stop stops both, and the relay
// is chosen per call from the trunks' mediaRelay.
import { EventEmitter } from 'node:events';
import t from 'tap';
import { MediaError, NativeError } from '../../../src/errors.js';
import { MediaSubsystem, nativeNeeded, rtpengineNeeded, trunkRelay, type SupervisorLike } from '../../../src/media/subsystem.js';
import type { NativeHostLike, NativeHostOptions } from '../../../src/media/native-host.js';
import type { NativeMediaRelay } from '../../../src/media/native-relay.js';
import type { EngineCounters } from '../../../src/ffi/engine.js';
import type { RtpengineOptions } from '../../../src/media/rtpengine-supervisor.js';
import { config, memoryLog, metrics, scrape } from '../../fixtures/subsystem.js';

class FakeSupervisor extends EventEmitter implements SupervisorLike {
  up = false;
  pid: number | undefined = 4242;
  restarts = 0;
  started = 0;
  stopped = 0;
  ng = {} as SupervisorLike['ng'];
  constructor(readonly opts: RtpengineOptions, private readonly fail = false) {
    super();
  }
  async start(): Promise<void> {
    this.started++;
    if (this.fail) throw new MediaError('rtpengine at 127.0.0.1:2223 did not answer NG ping within 10 ms');
    this.up = true;
    this.emit('up');
  }
  async stop(): Promise<void> {
    this.stopped++;
    this.up = false;
  }
}

class FakeNative implements NativeHostLike {
  running = false;
  stopped = 0;
  kernelForwarding = 'off: kernel forwarding on lo: missing CAP_BPF';
  receiveSteering = 'off: receive steering: missing CAP_BPF';
  readonly relay = { name: 'native', sessionCount: 0 } as unknown as NativeMediaRelay;
  constructor(readonly opts: NativeHostOptions, private readonly fail = false) {}
  start(): void {
    if (this.fail) throw new NativeError('sg_engine_start: port range taken');
    this.running = true;
  }
  async stop(): Promise<void> {
    this.stopped++;
    this.running = false;
  }
  counters(): EngineCounters | undefined {
    return this.running ? ({ relay_forwarded: 40, relay_transcoded: 2, kfwd_packets: 7, kfwd_active: 1 } as EngineCounters) : undefined;
  }
  kernelStatus(): undefined {
    return undefined;
  }
}

const TRUNKS = { sip: { trunks: { carrier: { addresses: ['192.0.2.1'] } } } };

function make(raw: Record<string, unknown>, fail = false, nativeFail = false) {
  const made: FakeSupervisor[] = [];
  const natives: FakeNative[] = [];
  const m = metrics();
  const cfg = config(raw);
  const s = new MediaSubsystem({
    config: cfg, log: memoryLog().log, metrics: m,
    makeSupervisor: (o) => {
      const f = new FakeSupervisor(o, fail);
      made.push(f);
      return f;
    },
    makeNative: (o) => {
      const f = new FakeNative(o, nativeFail);
      natives.push(f);
      return f;
    },
  });
  return { s, made, natives, m, cfg };
}

t.test('no SIP trunk: rtpengine is not started and the subsystem is healthy', async (t) => {
  const { s, made, m } = make({});
  await s.start();
  t.equal(made.length, 0);
  t.equal(s.relay, undefined);
  t.same(s.health(), { status: 'ok', detail: 'rtpengine idle: not started (no SIP trunk uses it)' });
  t.match(await scrape(m), /spangate_rtpengine_up 0/);
  await s.stop();
  t.notOk(rtpengineNeeded(config({ ...TRUNKS, media: { relay: 'native' } })), 'the native relay never needs rtpengine');
  const n = make({ ...TRUNKS, media: { relay: 'native' } });
  await n.s.start();
  t.equal(n.made.length, 0, 'no rtpengine');
  t.equal(n.natives.length, 1, 'native engine started');
  t.match(n.s.health(), { status: 'ok', detail: /native relay up \(127\.0\.0\.1\), 0 sessions, kernel forwarding off: .*CAP_BPF; rtpengine not used/ });
  await n.s.stop();
  t.equal(n.natives[0]!.stopped, 1);
});

const MIXED = {
  media: { native: { address: '127.0.28.1', portMin: 28100, portMax: 28199, kernelForwarding: 'off' } },
  sip: { trunks: { pbx: { addresses: ['192.0.2.1'], mediaRelay: 'native' }, uc: { addresses: ['192.0.2.2'], mediaRelay: 'native' }, carrier: { addresses: ['192.0.2.3'] } } },
};
const PLAIN = { transport: 'RTP/AVP' as const, codecs: ['PCMU', 'G722'] };

t.test('per-trunk mediaRelay: both relays run; native for native-only calls, rtpengine otherwise', async (t) => {
  const cfg = config(MIXED);
  t.equal(trunkRelay(cfg, 'pbx'), 'native');
  t.equal(trunkRelay(cfg, 'carrier'), 'rtpengine', 'default media.relay');
  t.equal(trunkRelay(cfg, 'pstn-group'), 'rtpengine', 'not a SIP trunk: media.relay');
  t.ok(nativeNeeded(cfg) && rtpengineNeeded(cfg));
  t.throws(() => config({ sip: { trunks: { x: { addresses: ['192.0.2.1'], mediaRelay: 'kernel' } } } }), /mediaRelay must be default, rtpengine or native/);

  const { s, made, natives, m } = make(MIXED);
  await s.start();
  t.equal(made.length, 1);
  t.equal(natives.length, 1);
  t.same(natives[0]!.opts, {
    address: '127.0.28.1', advertisedAddress: '', portMin: 28100, portMax: 28199, mediaThreads: 0,
    kernelForwarding: 'off', kernelInterfaces: '', receiveSteering: 'off', receiveIntervalUs: 0, mediaTimeoutMs: 60000,
  });
  t.equal(s.relayFor([{ trunk: 'pbx', options: PLAIN }, { trunk: 'uc', options: PLAIN }])?.name, 'native');
  t.equal(s.relayFor([{ trunk: 'pbx', options: PLAIN }, { trunk: 'carrier', options: PLAIN }])?.name, 'rtpengine');
  t.equal(s.relayFor([{ trunk: 'pbx', options: PLAIN }, { trunk: 'uc', options: PLAIN }, { trunk: 'carrier', options: PLAIN }])?.name, 'rtpengine', 'a failover target on rtpengine: rtpengine');
  // rtpengine down: a call the native relay can serve goes native; one it cannot gets rtpengine (which refuses it).
  made[0]!.up = false;
  made[0]!.emit('down', 'rtpengine exited (SIGKILL)');
  t.equal(s.relayFor([{ trunk: 'pbx', options: PLAIN }, { trunk: 'carrier', options: PLAIN }])?.name, 'native');
  t.equal(s.relayFor([{ trunk: 'pbx', options: PLAIN }, { trunk: 'carrier', options: { transport: 'RTP/AVP', codecs: ['G729'] } }])?.name, 'rtpengine');
  t.match(s.health(), { status: 'down', detail: /native relay up .*; rtpengine down/ });
  const text = await scrape(m);
  t.match(text, /spangate_native_relay_up 1/);
  t.match(text, /spangate_native_relayed_packets_total 42/);
  t.match(text, /spangate_native_kfwd_packets_total 7/);
  t.match(text, /spangate_native_kfwd_flows 1/);
  await s.stop();
  t.equal(natives[0]!.stopped, 1);
  t.equal(made[0]!.stopped, 1);
});

t.test('a native engine that cannot start leaves its trunks to rtpengine; health says why', async (t) => {
  const { s, made } = make(MIXED, false, true);
  await s.start();
  t.equal(s.nativeRelay, undefined);
  t.equal(s.relayFor([{ trunk: 'pbx', options: PLAIN }, { trunk: 'uc', options: PLAIN }])?.name, 'rtpengine');
  t.match(s.health(), { status: 'down', detail: /native relay down: sg_engine_start: port range taken; rtpengine up/ });
  await s.stop();
  t.equal(made[0]!.stopped, 1);
});

t.test('the first native trunk arriving by reload starts the native relay', async (t) => {
  const { s, natives } = make(TRUNKS);
  await s.start();
  t.equal(natives.length, 0);
  await s.reload(config(MIXED));
  t.equal(natives.length, 1);
  t.equal(s.relayFor([{ trunk: 'pbx', options: PLAIN }, { trunk: 'uc', options: PLAIN }])?.name, 'native');
  await s.stop();
});

t.test('with a SIP trunk: supervisor built from config, health and metrics follow it', async (t) => {
  const { s, made, m } = make({ ...TRUNKS, media: { rtpengine: { ngPort: 64000, portMin: 64100, portMax: 64199 } } });
  await s.start();
  t.equal(made.length, 1);
  const sup = made[0]!;
  t.match(sup.opts, { mode: 'managed', ngHost: '127.0.0.1', ngPort: 64000, portMin: 64100, portMax: 64199 });
  t.ok(s.relay, 'relay offered to the SIP legs');
  t.equal(s.health().status, 'ok');
  t.match(s.health().detail, /rtpengine up \(managed at 127\.0\.0\.1:64000, pid 4242\), 0 sessions, 0 restarts/);
  let text = await scrape(m);
  t.match(text, /spangate_rtpengine_up 1/);
  t.match(text, /spangate_rtpengine_sessions 0/);

  sup.up = false;
  sup.emit('down', 'rtpengine exited (SIGKILL)');
  t.equal(s.health().status, 'down');
  t.match(s.health().detail, /rtpengine exited \(SIGKILL\)/);
  t.throws(() => s.relay!.createSession('c1'), MediaError, 'new calls get a clear failure while down');
  sup.restarts = 2;
  sup.up = true;
  sup.emit('up');
  text = await scrape(m);
  t.match(text, /spangate_rtpengine_restarts_total 2/);
  t.match(text, /spangate_rtpengine_up 1/);

  await s.stop();
  t.equal(sup.stopped, 1);
});

t.test('a failed rtpengine start aborts start-up and cleans up', async (t) => {
  const { s, made } = make(TRUNKS, true);
  await t.rejects(s.start(), MediaError);
  t.equal(made[0]!.stopped, 1);
  t.equal(s.relay, undefined);
});

t.test('the first SIP trunk arriving by reload starts rtpengine', async (t) => {
  const { s, made } = make({});
  await s.start();
  await s.reload(config(TRUNKS));
  t.equal(made.length, 1);
  await s.reload(config({}));
  t.equal(made[0]!.stopped, 0, 'removing the trunks keeps the running rtpengine');
  await s.stop();
});
