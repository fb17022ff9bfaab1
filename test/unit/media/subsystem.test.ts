// The media subsystem with a fake rtpengine supervisor: started only when a SIP trunk needs it,
// health and metrics follow the supervisor, a failed start aborts, stop stops it.
import { EventEmitter } from 'node:events';
import t from 'tap';
import { MediaError } from '../../../src/errors.js';
import { MediaSubsystem, rtpengineNeeded, type SupervisorLike } from '../../../src/media/subsystem.js';
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

const TRUNKS = { sip: { trunks: { carrier: { addresses: ['192.0.2.1'] } } } };

function make(raw: Record<string, unknown>, fail = false) {
  const made: FakeSupervisor[] = [];
  const m = metrics();
  const cfg = config(raw);
  const s = new MediaSubsystem({
    config: cfg, log: memoryLog().log, metrics: m,
    makeSupervisor: (o) => {
      const f = new FakeSupervisor(o, fail);
      made.push(f);
      return f;
    },
  });
  return { s, made, m, cfg };
}

t.test('no SIP trunk: rtpengine is not started and the subsystem is healthy', async (t) => {
  const { s, made, m } = make({});
  await s.start();
  t.equal(made.length, 0);
  t.equal(s.relay, undefined);
  t.same(s.health(), { status: 'ok', detail: 'rtpengine idle: not started (no SIP trunk configured)' });
  t.match(await scrape(m), /spangate_rtpengine_up 0/);
  await s.stop();
  t.notOk(rtpengineNeeded(config({ ...TRUNKS, media: { relay: 'native' } })), 'the native relay never needs rtpengine');
  const n = make({ ...TRUNKS, media: { relay: 'native' } });
  await n.s.start();
  t.match(n.s.health().detail, /native relay/);
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
