// The calls subsystem over the real (pure) CallRegistry with fake calls: metrics by trunk and
// cause, show.calls and show.trunks, drain waiting for active calls, stop cutting them off.
import { EventEmitter } from 'node:events';
import t from 'tap';
import type { Call, CallRecord } from '../../../src/call/call.js';
import { CallRegistry } from '../../../src/call/registry.js';
import { CallsSubsystem, attemptsOf, type TrunkView } from '../../../src/calls-subsystem/subsystem.js';
import { admin, config, memoryLog, metrics, scrape } from '../../fixtures/subsystem.js';

class FakeCall extends EventEmitter {
  state = 'ringing';
  closedWith: number | undefined;
  constructor(readonly id: string, readonly a: { trunk: string; calling: string; called: string }, readonly b?: { trunk: string }) {
    super();
  }
  end(over: Partial<CallRecord> = {}): CallRecord {
    const r: CallRecord = {
      id: this.id, disposition: 'answered', cause: 16, causeText: 'Normal call clearing', endedBy: 'a',
      startedAt: 1, answeredAt: 2, endedAt: 3,
      a: { id: `${this.id}-a`, kind: 'sip', ...this.a },
      ...(this.b ? { b: { id: `${this.id}-b`, kind: 'sip', trunk: this.b.trunk, calling: this.a.calling, called: this.a.called } } : {}),
      attempts: [], bInAttempts: false, route: [],
      ...over,
    };
    this.emit('ended', r);
    return r;
  }
  async close(cause: number): Promise<CallRecord> {
    this.closedWith = cause;
    return this.end({ cause, endedBy: 'local' });
  }
}

const CFG = {
  sip: { trunks: { carrier: { addresses: ['192.0.2.1'], maxCalls: 30 }, teams: { profile: 'teams', contactFqdn: 'sbc.example.com' } } },
  routing: { trunks: { carrier: { role: 'pstn' }, teams: { role: 'uc' }, pri1: { role: 'pstn' } } },
};

function make() {
  const reg = new CallRegistry();
  const a = admin();
  const m = metrics();
  const s = new CallsSubsystem({ config: config(CFG), log: memoryLog().log, metrics: m, admin: a, registry: reg });
  const add = (c: FakeCall): FakeCall => {
    reg.add(c as unknown as Call);
    return c;
  };
  return { reg, a, m, s, add };
}

t.test('metrics: active calls, attempts, answers, failures by cause, ASR', async (t) => {
  const { m, s, add } = make();
  await s.start();
  const c1 = add(new FakeCall('c1', { trunk: 'carrier', calling: '+4989123', called: '+4930555123' }, { trunk: 'teams' }));
  const c2 = add(new FakeCall('c2', { trunk: 'carrier', calling: '+4989124', called: '+4930555124' }, { trunk: 'teams' }));
  let text = await scrape(m);
  t.match(text, /spangate_calls_active 2/);
  t.equal(s.activeWork(), 2);
  c1.end();
  c2.end({ disposition: 'busy', cause: 17, answeredAt: undefined });
  text = await scrape(m);
  t.match(text, /spangate_calls_active 0/);
  t.match(text, /spangate_calls_attempts_total\{trunk="carrier"\} 2/);
  t.match(text, /spangate_calls_attempts_total\{trunk="teams"\} 2/);
  t.match(text, /spangate_calls_answered_total\{trunk="carrier"\} 1/);
  t.match(text, /spangate_calls_failed_total\{trunk="teams",cause="17"\} 1/);
  t.match(text, /spangate_calls_asr_ratio\{trunk="carrier"\} 0\.5/);
});

t.test('attemptsOf counts like the registry: inbound, failed attempts, final leg', async (t) => {
  const r = new FakeCall('c', { trunk: 'pri1', calling: '1', called: '2' }, { trunk: 'teams' }).end({
    attempts: [{ trunk: 'carrier', called: '2', cause: 34 }],
  });
  t.same(attemptsOf(r), [
    { trunk: 'pri1', answered: true, cause: 16 },
    { trunk: 'carrier', answered: false, cause: 34 },
    { trunk: 'teams', answered: true, cause: 16 },
  ]);
});

t.test('show.calls and show.trunks', async (t) => {
  const { a, s, add } = make();
  await s.start();
  add(new FakeCall('c1', { trunk: 'carrier', calling: '+4989123', called: '+4930555123' }, { trunk: 'teams' }));
  const calls = (await a.call('show.calls')) as { id: string; aTrunk: string; bTrunk: string }[];
  t.match(calls, [{ id: 'c1', aTrunk: 'carrier', bTrunk: 'teams', called: '+4930555123' }]);
  const trunks = (await a.call('show.trunks')) as TrunkView[];
  t.same(trunks.map((x) => x.id), ['carrier', 'pri1', 'teams']);
  t.match(trunks[0], { kind: 'sip', role: 'pstn', profile: 'generic', transport: 'udp', maxCalls: 30, active: 1, health: { state: 'unknown', detail: /OPTIONS/ } });
  t.match(trunks[1], { kind: 'other', role: 'pstn', transport: null, active: 0, health: { state: 'unknown', detail: /not a SIP trunk/ } });
  t.match(trunks[2], { kind: 'sip', role: 'uc', profile: 'teams', transport: 'tls', port: 5061, active: 1 });
});

t.test('reported trunk health is shown', async (t) => {
  const reg = new CallRegistry();
  const s = new CallsSubsystem({
    config: config(CFG), log: memoryLog().log, metrics: metrics(), admin: admin(), registry: reg,
    trunkHealth: (id) => (id === 'carrier' ? { state: 'up', rttMs: 12 } : undefined),
  });
  t.match(s.trunks()[0], { id: 'carrier', health: { state: 'up', rttMs: 12 } });
});

t.test('drain stops accepting and waits for the active calls; stop cuts off the rest', async (t) => {
  const { s, add } = make();
  await s.start();
  t.ok(s.accepting);
  const c1 = add(new FakeCall('c1', { trunk: 'carrier', calling: '1', called: '2' }));
  let drained = false;
  const d = s.drain(Date.now() + 60_000).then(() => (drained = true));
  t.notOk(s.accepting, 'no new calls once draining');
  t.match(s.health().detail, /draining/);
  await new Promise((r) => setImmediate(r));
  t.notOk(drained, 'still waiting for c1');
  c1.end();
  await d;
  t.ok(drained);

  const c2 = add(new FakeCall('c2', { trunk: 'carrier', calling: '1', called: '3' }));
  await s.drain(Date.now() + 1); // deadline passes with c2 still up
  t.equal(s.activeWork(), 1);
  await s.stop();
  t.equal(c2.closedWith, 31, 'cut off with cause 31 at stop');
  t.equal(s.activeWork(), 0);
});
