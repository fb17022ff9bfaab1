import t from 'tap';
import { LegBase, type Leg, type LegKind, type LegDirection, type MediaDescription, type OriginateRequest, type ProgressInfo, type MediaUpdate } from '../../../src/call/leg.js';
import { Call, type CallRecord } from '../../../src/call/call.js';
import type { RouteDecision, RouteTarget } from '../../../src/call/router.js';
import { DEFAULT_FAILOVER_CAUSES } from '../../../src/call/router.js';
import type { MediaRelay, MediaSession, OfferRequest, AnswerRequest, SessionStats, RelayHealth } from '../../../src/media/relay.js';
import { EventEmitter } from 'node:events';
import { MediaError, SignalingError } from '../../../src/errors.js';

// A scriptable leg: records every call made on it; the test drives the far end's events.
class FakeLeg extends LegBase implements Leg {
  readonly log: string[] = [];
  remoteMedia: MediaDescription | undefined;
  calling = '';
  called = '';
  originateError: Error | undefined;
  updateAnswer: MediaDescription = { sdp: 'answer-from-far' };
  constructor(readonly id: string, readonly kind: LegKind, readonly direction: LegDirection, readonly trunk: string) { super(); }
  async originate(req: OriginateRequest): Promise<void> {
    this.log.push(`originate ${req.called} ${req.media?.sdp ?? '-'}`);
    this.calling = req.calling; this.called = req.called;
    if (this.originateError) throw this.originateError;
    this.setState('calling');
  }
  async progress(info: ProgressInfo, media?: MediaDescription): Promise<void> { this.log.push(`progress ${info.ringing ? 'ringing' : 'session'} ${media?.sdp ?? '-'}`); this.setState(media ? 'early' : 'proceeding'); }
  async answer(media?: MediaDescription): Promise<void> { this.log.push(`answer ${media?.sdp ?? '-'}`); this.setState('answered'); }
  async reject(cause: number): Promise<void> { this.log.push(`reject ${cause}`); this.ended({ cause, by: 'local' }); }
  async hangup(cause: number): Promise<void> { this.log.push(`hangup ${cause}`); this.ended({ cause, by: 'local' }); }
  async hold(on: boolean): Promise<void> { this.log.push(`hold ${on}`); }
  async updateMedia(offer: MediaDescription): Promise<MediaDescription> { this.log.push(`update ${offer.sdp}`); return this.updateAnswer; }
  async sendDtmf(digit: string): Promise<void> { this.log.push(`dtmf ${digit}`); }
  // Far-end actions:
  farProgress(ringing = true): void { this.emit('progress', { ringing, sipStatus: ringing ? 180 : 183 }); }
  farEarly(sdp: string): void { this.setState('early'); this.emit('early-media', { sdp }); }
  farAnswer(sdp?: string): void { this.setState('answered'); this.emit('answer', sdp === undefined ? undefined : { sdp }); }
  farHangup(cause: number, sipStatus?: number): void { const i: { cause: number; by: 'remote'; sipStatus?: number } = { cause, by: 'remote' }; if (sipStatus) i.sipStatus = sipStatus; this.ended(i); }
}

class FakeSession extends EventEmitter implements MediaSession {
  closed = false;
  readonly log: string[] = [];
  failOffer: Error | undefined;
  constructor(readonly id: string) { super(); }
  async offer(r: OfferRequest): Promise<string> {
    this.log.push(`offer from ${r.from} ${r.sdp} ${r.fromLeg.transport}->${r.toLeg.transport}`);
    if (this.failOffer) throw this.failOffer;
    return `relayed(${r.sdp})`;
  }
  async answer(r: AnswerRequest): Promise<string> { this.log.push(`answer from ${r.from} ${r.sdp}`); return `relayed(${r.sdp})`; }
  async stats(): Promise<SessionStats> { return stats(); }
  async close(): Promise<SessionStats | undefined> { this.log.push('close'); this.closed = true; return stats(); }
  async playDtmf(from: 'a' | 'b', digit: string, ms: number): Promise<void> { this.log.push(`play ${from} ${digit} ${ms}`); }
}
function stats(): SessionStats {
  return { a: { packetsIn: 10, bytesIn: 1720, packetsOut: 9, bytesOut: 1548, codec: 'PCMU' }, b: { packetsIn: 9, bytesIn: 1548, packetsOut: 10, bytesOut: 1720, codec: 'G722' } };
}
class FakeRelay implements MediaRelay {
  readonly name = 'fake';
  sessions: FakeSession[] = [];
  failOffer: Error | undefined;
  createSession(id: string): MediaSession { const s = new FakeSession(id); s.failOffer = this.failOffer; this.sessions.push(s); return s; }
  async health(): Promise<RelayHealth> { return { up: true }; }
  async close(): Promise<void> {}
}

function target(trunk: string, called = '100'): RouteTarget { return { trunk, called, calling: '200', reason: `to ${trunk}` }; }
function decision(targets: RouteTarget[], failoverCauses = [...DEFAULT_FAILOVER_CAUSES]): RouteDecision {
  return { targets, failoverCauses, explanation: ['test'] };
}

interface Rig { call: Call; a: FakeLeg; bs: FakeLeg[]; relay: FakeRelay; clock: { t: number }; timers: { fire(): void; pending: number } }
function rig(d: RouteDecision, opts: { media?: boolean; ringTimeoutMs?: number; aKind?: LegKind } = {}): Rig {
  const a = new FakeLeg('a1', opts.aKind ?? 'sip', 'inbound', 'pstn');
  a.remoteMedia = { sdp: 'offer-a' }; a.calling = '200'; a.called = '100';
  const bs: FakeLeg[] = [];
  const relay = new FakeRelay();
  const clock = { t: 1000 };
  let pending: (() => void) | undefined;
  const timers = {
    setTimeout: (f: () => void) => { pending = f; return 1; },
    clearTimeout: () => { pending = undefined; },
  };
  const call = new Call({
    id: 'c1', a, decision: d,
    createLeg: (tg) => { const b = new FakeLeg(`b${bs.length + 1}`, 'sip', 'outbound', tg.trunk); bs.push(b); return b; },
    media: opts.media === false ? undefined : { relay, optionsFor: (trunk) => ({ transport: trunk === 'teams' ? 'RTP/SAVP' : 'RTP/AVP' }) },
    ringTimeoutMs: opts.ringTimeoutMs ?? 0,
    now: () => clock.t,
    timers,
  });
  return { call, a, bs, relay, clock, timers: { fire: () => { const f = pending; pending = undefined; f?.(); }, get pending() { return pending ? 1 : 0; } } };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('answered call: SDP through the relay both ways, B hangs up, cascade and record', async (t) => {
  const r = rig(decision([target('teams')]));
  const states: string[] = [];
  r.call.on('state', (s) => states.push(s));
  r.call.start(); await tick();
  const b = r.bs[0]!;
  t.same(b.log, ['originate 100 relayed(offer-a)']);
  t.same(r.relay.sessions[0]!.log, ['offer from a offer-a RTP/AVP->RTP/SAVP']);
  r.clock.t = 1500; b.farProgress(); await tick();
  r.clock.t = 1600; b.farEarly('early-b'); await tick();
  r.clock.t = 2000; b.farAnswer('answer-b'); await tick();
  t.same(r.a.log, ['progress ringing -', 'progress session relayed(early-b)', 'answer relayed(answer-b)']);
  t.equal(r.call.state, 'answered');
  r.clock.t = 9000; b.farHangup(16);
  const rec: CallRecord = await r.call.done;
  t.same(r.a.log.slice(3), ['hangup 16']);
  t.same(states, ['proceeding', 'early', 'answered', 'ended']);
  t.equal(rec.disposition, 'answered');
  t.equal(rec.endedBy, 'b');
  t.equal(rec.cause, 16);
  t.equal(rec.startedAt, 1000); t.equal(rec.progressAt, 1500); t.equal(rec.answeredAt, 2000); t.equal(rec.endedAt, 9000);
  t.equal(rec.media?.b.codec, 'G722');
  t.equal(rec.b?.trunk, 'teams');
  t.ok(r.relay.sessions[0]!.closed, 'media released');
});

t.test('B answers without SDP after early media: A gets the early answer again', async (t) => {
  const r = rig(decision([target('pbx')]));
  r.call.start(); await tick();
  r.bs[0]!.farEarly('early-b'); await tick();
  r.bs[0]!.farAnswer(); await tick();
  t.same(r.a.log, ['progress session relayed(early-b)', 'answer relayed(early-b)']);
  r.call.close(); await r.call.done;
});

t.test('caller hangs up mid-call: B gets BYE with the same cause', async (t) => {
  const r = rig(decision([target('pbx')]));
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('x'); await tick();
  r.a.farHangup(16);
  const rec = await r.call.done;
  t.same(r.bs[0]!.log.at(-1), 'hangup 16');
  t.equal(rec.endedBy, 'a');
  t.equal(rec.disposition, 'answered');
});

t.test('caller cancels while ringing: B cancelled, disposition cancelled', async (t) => {
  const r = rig(decision([target('pbx')]));
  r.call.start(); await tick();
  r.bs[0]!.farProgress(); await tick();
  r.a.farHangup(16);
  const rec = await r.call.done;
  t.equal(r.bs[0]!.log.at(-1), 'hangup 16');
  t.equal(rec.disposition, 'cancelled');
});

t.test('busy is final: no failover, A rejected with 17', async (t) => {
  const r = rig(decision([target('t1'), target('t2')]));
  r.call.start(); await tick();
  r.bs[0]!.farHangup(17, 486);
  const rec = await r.call.done;
  t.equal(r.bs.length, 1);
  t.same(r.a.log, ['reject 17']);
  t.equal(rec.disposition, 'busy');
  t.equal(rec.endedBy, 'b');
  t.same(rec.attempts, [{ trunk: 't1', called: '100', cause: 17 }]);
});

t.test('failover on a configured cause, then answer on the second target', async (t) => {
  const r = rig(decision([target('t1'), target('t2', '4930100')]));
  r.call.start(); await tick();
  r.bs[0]!.farHangup(41, 503); await tick(); await tick();
  t.equal(r.bs.length, 2);
  t.same(r.bs[1]!.log, ['originate 4930100 relayed(offer-a)']);
  t.equal(r.relay.sessions.length, 1, 'one media session per call, re-offered');
  r.bs[1]!.farAnswer('ok'); await tick();
  r.call.close();
  const rec = await r.call.done;
  t.equal(rec.disposition, 'answered');
  t.equal(rec.endedBy, 'local');
  t.equal(rec.b?.trunk, 't2');
  t.equal(rec.attempts.length, 1);
});

t.test('all targets fail: last cause reported', async (t) => {
  const r = rig(decision([target('t1'), target('t2')]));
  r.call.start(); await tick();
  r.bs[0]!.farHangup(34); await tick(); await tick();
  r.bs[1]!.farHangup(38);
  const rec = await r.call.done;
  t.same(r.a.log, ['reject 38']);
  t.equal(rec.disposition, 'failed');
  t.equal(rec.attempts.length, 2);
});

t.test('originate throwing SignalingError fails over', async (t) => {
  const a = new FakeLeg('a', 'tdm', 'inbound', 'pbx'); a.remoteMedia = { sdp: 'o' };
  const made: FakeLeg[] = [];
  const call = new Call({
    id: 'c', a, decision: decision([target('down'), target('up')]),
    createLeg: (tg) => {
      const b = new FakeLeg(`b${made.length}`, 'sip', 'outbound', tg.trunk);
      if (tg.trunk === 'down') b.originateError = new SignalingError('trunk down', { q850Cause: 38 });
      made.push(b); return b;
    },
  });
  call.start(); await tick(); await tick();
  t.equal(made.length, 2);
  t.same(made[1]!.log, ['originate 100 o'], 'no relay: SDP passed as is');
  made[1]!.farAnswer(); await tick();
  t.same(a.log, ['answer -']);
  a.farHangup(16);
  const rec = await call.done;
  t.same(rec.attempts, [{ trunk: 'down', called: '100', cause: 38, detail: 'trunk down' }]);
});

t.test('no route: refused with the decision cause', async (t) => {
  const r = rig({ targets: [], failoverCauses: [], cause: 1, explanation: ['no match'] });
  r.call.start();
  const rec = await r.call.done;
  t.same(r.a.log, ['reject 1']);
  t.equal(rec.disposition, 'no-route');
  t.same(rec.route, ['no match']);
});

t.test('relay down: clear failure with cause 47, no outbound leg', async (t) => {
  const r = rig(decision([target('t1'), target('t2')]));
  r.relay.failOffer = new MediaError('rtpengine is down');
  r.call.start();
  const rec = await r.call.done;
  t.equal(r.bs.length, 0);
  t.same(r.a.log, ['reject 47']);
  t.equal(rec.cause, 47);
});

t.test('ring timeout: B cancelled with 19, A gets 19', async (t) => {
  const r = rig(decision([target('t1')]), { ringTimeoutMs: 30000 });
  r.call.start(); await tick();
  t.equal(r.timers.pending, 1);
  r.timers.fire();
  const rec = await r.call.done;
  t.equal(r.bs[0]!.log.at(-1), 'hangup 19');
  t.same(r.a.log, ['reject 19']);
  t.equal(rec.disposition, 'no-answer');
});

t.test('media timeout from the relay ends an answered call', async (t) => {
  const r = rig(decision([target('t1')]));
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('x'); await tick();
  r.relay.sessions[0]!.emit('media-timeout');
  const rec = await r.call.done;
  t.equal(rec.cause, 102);
  t.equal(rec.endedBy, 'local');
  t.same(r.a.log.at(-1), 'hangup 102');
  t.same(r.bs[0]!.log.at(-1), 'hangup 102');
});

t.test('hold re-INVITE from A goes through the relay to B and back', async (t) => {
  const r = rig(decision([target('teams')]));
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('x'); await tick();
  const got: string[] = [];
  const u: MediaUpdate = { media: { sdp: 'hold-offer' }, accept: (m) => got.push(`accept ${m.sdp}`), reject: (c) => got.push(`reject ${c}`) };
  r.a.emit('update', u); await tick(); await tick();
  t.same(r.bs[0]!.log.at(-1), 'update relayed(hold-offer)');
  t.same(got, ['accept relayed(answer-from-far)']);
  t.same(r.relay.sessions[0]!.log.slice(-2), ['offer from a hold-offer RTP/AVP->RTP/SAVP', 'answer from b answer-from-far']);
  const u2: MediaUpdate = { media: { sdp: 'resume' }, accept: (m) => got.push(`accept ${m.sdp}`), reject: (c) => got.push(`reject ${c}`) };
  r.bs[0]!.emit('update', u2); await tick(); await tick();
  t.same(r.relay.sessions[0]!.log.slice(-2), ['offer from b resume RTP/SAVP->RTP/AVP', 'answer from a answer-from-far']);
  r.call.close(); await r.call.done;
});

t.test('update before answer is refused', async (t) => {
  const r = rig(decision([target('t1')]));
  r.call.start(); await tick();
  const got: string[] = [];
  r.a.emit('update', { media: { sdp: 'x' }, accept: () => got.push('accept'), reject: (c: number) => got.push(`reject ${c}`) });
  await tick();
  t.same(got, ['reject 41']);
  r.call.close(); await r.call.done;
});

t.test('DTMF is forwarded only once answered', async (t) => {
  const r = rig(decision([target('t1')]));
  r.call.start(); await tick();
  r.a.emit('dtmf', { digit: '1', durationMs: 100, source: 'inband' });
  r.bs[0]!.farAnswer(); await tick();
  r.a.emit('dtmf', { digit: '5', durationMs: 100, source: 'inband' });
  r.bs[0]!.emit('dtmf', { digit: '#', durationMs: 100, source: 'inband' });
  await tick();
  t.equal(r.bs[0]!.log.filter((l) => l.startsWith('dtmf')).join(','), 'dtmf 5');
  t.ok(r.a.log.includes('dtmf #'));
  r.call.close(); await r.call.done;
});

t.test('close is idempotent and events after the end are ignored', async (t) => {
  const r = rig(decision([target('t1')]));
  r.call.start(); await tick();
  const p1 = r.call.close(31);
  const p2 = r.call.close(16);
  const [x, y] = await Promise.all([p1, p2]);
  t.equal(x, y);
  t.equal(x.cause, 31);
  r.bs[0]!.emit('answer', { sdp: 'late' });
  await tick();
  t.equal(r.call.state, 'ended');
  t.notOk(r.a.log.some((l) => l.startsWith('answer')));
});

t.test('a thousand calls in a loop stay fast (no real I/O)', async (t) => {
  for (let i = 0; i < 1000; i++) {
    const r = rig(decision([target('t1')]));
    r.call.start(); await tick();
    r.bs[0]!.farAnswer('x'); await tick();
    r.a.farHangup(16);
    await r.call.done;
  }
  t.pass();
});

t.test('caller leaves while the relay is still busy with the offer: no outbound leg is placed', async (t) => {
  const r = rig(decision([target('t1')]));
  let release!: () => void;
  const gate = new Promise<void>((res) => { release = res; });
  const orig = r.relay.createSession.bind(r.relay);
  r.relay.createSession = (id: string) => {
    const s = orig(id) as FakeSession;
    const offer = s.offer.bind(s);
    s.offer = async (req) => { await gate; return offer(req); };
    return s;
  };
  r.call.start(); await tick();
  r.a.farHangup(16);
  release();
  const rec = await r.call.done;
  t.equal(r.bs.length, 0);
  t.equal(rec.disposition, 'cancelled');
  t.ok(r.relay.sessions[0]!.closed, 'media released');
});

t.test('INFO digits toward an RFC 4733 leg are injected by the relay; toward an INFO leg they are signalled', async (t) => {
  const r = rig(decision([target('uc')]));
  const relay = r.relay;
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('x'); await tick();
  r.a.emit('dtmf', { digit: '5', durationMs: 200, source: 'info' });
  r.bs[0]!.emit('dtmf', { digit: '7', durationMs: 100, source: 'rfc4733' });
  await tick();
  t.same(relay.sessions[0]!.log.filter((l) => l.startsWith('play')), ['play a 5 200'], 'A\'s INFO digit played into A\'s media toward B');
  t.same(r.bs[0]!.log.filter((l) => l.startsWith('dtmf')), [], 'B got no INFO');
  t.same(r.a.log.filter((l) => l.startsWith('dtmf')), ['dtmf 7'], 'an RFC 4733 digit reported by B goes to A\'s sendDtmf');
  r.call.close(); await r.call.done;
});

t.test('RFC 4733 digits the relay kept from an INFO leg go to that leg\'s sendDtmf, in order', async (t) => {
  const r = rig(decision([target('uc')]));
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('x'); await tick();
  const s = r.relay.sessions[0]!;
  s.emit('dtmf', 'b', '1', 120);
  s.emit('dtmf', 'b', '#', 160);
  s.emit('dtmf', 'a', '9', 100);
  await tick();
  t.same(r.a.log.filter((l) => l.startsWith('dtmf')), ['dtmf 1', 'dtmf #'], 'B\'s digits to A');
  t.same(r.bs[0]!.log.filter((l) => l.startsWith('dtmf')), ['dtmf 9'], 'A\'s digit to B');
  t.same(s.log.filter((l) => l.startsWith('play')), [], 'nothing injected back into the media');
  r.call.close(); await r.call.done;
});

t.test('a TDM leg\'s digits come from the leg, not again from the relay', async (t) => {
  const r = rig(decision([target('uc')]), { aKind: 'tdm' });
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('x'); await tick();
  r.relay.sessions[0]!.emit('dtmf', 'a', '4', 100);
  r.a.emit('dtmf', { digit: '4', durationMs: 100, source: 'inband' });
  await tick();
  t.same(r.bs[0]!.log.filter((l) => l.startsWith('dtmf')), ['dtmf 4'], 'one digit');
  r.call.close(); await r.call.done;
});

t.test('REFER under policy pass: sent on by the other leg, its outcome and NOTIFYs relayed; declined when it cannot be', async (t) => {
  const r = rig(decision([target('uc')]));
  r.call.start(); await tick();
  const b = r.bs[0]!;
  b.farAnswer('x'); await tick();
  const notes: string[] = [];
  const outcome: string[] = [];
  let passedNotify: ((f: string, s: string) => void) | undefined;
  (r.a as unknown as { refer: unknown }).refer = async (req: { referTo: string }, onNotify: (f: string, s: string) => void) => {
    outcome.push(`sent ${req.referTo}`);
    passedNotify = onNotify;
    return { status: 202, reason: 'Accepted' };
  };
  b.emit('refer-pass', { referTo: '<sip:300@x>', respond: (s: number, why: string) => outcome.push(`${s} ${why}`), notify: (f: string, s: string) => notes.push(`${s}: ${f}`) });
  await tick();
  t.same(outcome, ['sent <sip:300@x>', '202 Accepted']);
  passedNotify!('SIP/2.0 200 OK', 'terminated');
  t.same(notes, ['terminated: SIP/2.0 200 OK'], 'the other side\'s NOTIFY reaches the transferor');
  const declined: string[] = [];
  r.a.emit('refer-pass', { referTo: '<sip:1@x>', respond: (s: number) => declined.push(String(s)), notify: () => undefined });
  await tick();
  t.same(declined, ['603'], 'B cannot take a REFER (no refer method): declined');
  r.call.close(); await r.call.done;
});
