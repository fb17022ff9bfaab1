// Late offer in the call core: A's INVITE had no SDP, so B is invited without one, B's answer
// carries the offer, which goes through the relay to A (answerWithOffer), and A's answer (its
// ACK) goes back through the relay to B (confirmAnswer). Failures end both sides with a cause
// and a reason in the record.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { LegBase, type Leg, type MediaDescription, type OriginateRequest } from '../../../src/call/leg.js';
import { Call } from '../../../src/call/call.js';
import type { RouteTarget } from '../../../src/call/router.js';
import { DEFAULT_FAILOVER_CAUSES } from '../../../src/call/router.js';
import type { AnswerRequest, MediaRelay, MediaSession, OfferRequest, RelayHealth, SessionStats } from '../../../src/media/relay.js';
import { SignalingError } from '../../../src/errors.js';

class L extends LegBase implements Leg {
  readonly log: string[] = [];
  remoteMedia: MediaDescription | undefined;
  calling = '200';
  called = '100';
  readonly kind = 'sip' as const;
  /** What answerWithOffer resolves with, or throws. */
  ackAnswer: MediaDescription | Error = { sdp: 'answer-a' };
  constructor(readonly id: string, readonly direction: 'inbound' | 'outbound', readonly trunk: string) { super(); }
  async originate(req: OriginateRequest): Promise<void> { this.log.push(`originate ${req.media?.sdp ?? '-'}`); this.setState('calling'); }
  async progress(_i: unknown, m?: MediaDescription): Promise<void> { this.log.push(`progress ${m?.sdp ?? '-'}`); }
  async answer(m?: MediaDescription): Promise<void> { this.log.push(`answer ${m?.sdp ?? '-'}`); this.setState('answered'); }
  async answerWithOffer(offer: MediaDescription): Promise<MediaDescription> {
    this.log.push(`answerWithOffer ${offer.sdp}`);
    this.setState('answered');
    if (this.ackAnswer instanceof Error) throw this.ackAnswer;
    this.remoteMedia = this.ackAnswer;
    return this.ackAnswer;
  }
  async confirmAnswer(answer: MediaDescription): Promise<void> { this.log.push(`confirm ${answer.sdp}`); }
  async reject(cause: number): Promise<void> { this.log.push(`reject ${cause}`); this.ended({ cause, by: 'local' }); }
  async hangup(cause: number): Promise<void> { this.log.push(`hangup ${cause}`); this.ended({ cause, by: 'local' }); }
  async hold(): Promise<void> {}
  async updateMedia(o: MediaDescription): Promise<MediaDescription> { return o; }
  async sendDtmf(): Promise<void> {}
  farEarly(sdp: string): void { this.emit('early-media', { sdp }); }
  farAnswer(sdp?: string): void { this.setState('answered'); this.emit('answer', sdp === undefined ? undefined : { sdp }); }
}

class S extends EventEmitter implements MediaSession {
  closed = false;
  readonly log: string[] = [];
  failAnswer = false;
  constructor(readonly id: string) { super(); }
  async offer(r: OfferRequest): Promise<string> { this.log.push(`offer from ${r.from} ${r.sdp}`); return `relayed(${r.sdp})`; }
  async answer(r: AnswerRequest): Promise<string> {
    this.log.push(`answer from ${r.from} ${r.sdp}`);
    if (this.failAnswer) throw new Error('no codec in common');
    return `relayed(${r.sdp})`;
  }
  async stats(): Promise<SessionStats> { return { a: { packetsIn: 1, bytesIn: 1, packetsOut: 1, bytesOut: 1 }, b: { packetsIn: 1, bytesIn: 1, packetsOut: 1, bytesOut: 1 } }; }
  async close(): Promise<SessionStats | undefined> { this.closed = true; return this.stats(); }
}

function rig(o: { media?: boolean; failAnswer?: boolean } = {}): { call: Call; a: L; bs: L[]; sessions: S[] } {
  const a = new L('a', 'inbound', 'pbx');
  const bs: L[] = [];
  const sessions: S[] = [];
  const relay: MediaRelay = {
    name: 'fake',
    createSession: (id) => { const s = new S(id); s.failAnswer = o.failAnswer ?? false; sessions.push(s); return s; },
    health: async (): Promise<RelayHealth> => ({ up: true }),
    close: async () => undefined,
  };
  const tg: RouteTarget = { trunk: 'uc', called: '100', calling: '200', reason: 'test' };
  const call = new Call({
    id: 'c1', a, decision: { targets: [tg], failoverCauses: [...DEFAULT_FAILOVER_CAUSES], explanation: ['test'] },
    createLeg: (x) => { const b = new L(`b${bs.length + 1}`, 'outbound', x.trunk); bs.push(b); return b; },
    media: o.media === false ? undefined : { relay, optionsFor: () => ({ transport: 'RTP/AVP' }) },
  });
  return { call, a, bs, sessions };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('late offer: B invited without SDP, its offer to A through the relay, A\'s ACK answer to B', async (t) => {
  const r = rig();
  r.call.start(); await tick();
  const b = r.bs[0]!;
  t.same(b.log, ['originate -'], 'B gets no offer either');
  t.equal(r.sessions.length, 0, 'no relay session before there is an offer');
  b.farEarly('early-b'); await tick();
  t.same(r.a.log, ['progress -'], 'SDP in a provisional answer to an offerless INVITE is not passed on');
  b.farAnswer('offer-b'); await tick(); await tick();
  t.same(r.sessions[0]!.log, ['offer from b offer-b', 'answer from a answer-a']);
  t.same(r.a.log.slice(1), ['answerWithOffer relayed(offer-b)']);
  t.same(b.log.slice(1), ['confirm relayed(answer-a)']);
  t.equal(r.call.state, 'answered');
  b.hangup(16); b.emit('hangup', { cause: 16, by: 'remote' });
  r.call.close();
  const rec = await r.call.done;
  t.equal(rec.disposition, 'answered');
  t.ok(rec.answeredAt !== undefined);
});

t.test('late offer without a relay: SDP passed through unchanged both ways', async (t) => {
  const r = rig({ media: false });
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('offer-b'); await tick(); await tick();
  t.same(r.a.log, ['answerWithOffer offer-b']);
  t.same(r.bs[0]!.log, ['originate -', 'confirm answer-a']);
  r.call.close(); await r.call.done;
});

t.test('ACK without an answer: BYE both sides, cause and reason in the record', async (t) => {
  const r = rig();
  r.a.ackAnswer = new SignalingError('late offer: the ACK carried no SDP answer', { q850Cause: 127 });
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('offer-b');
  const rec = await r.call.done;
  t.same(r.a.log.at(-1), 'hangup 127', 'the caller (answered) gets BYE');
  t.same(r.bs[0]!.log.at(-1), 'hangup 127', 'the called side gets ACK + BYE');
  t.equal(rec.cause, 127);
  t.equal(rec.disposition, 'failed');
  t.equal(rec.endedBy, 'local');
  t.match(rec.causeText, /ACK carried no SDP answer/);
  t.ok(r.sessions[0]!.closed, 'media released');
});

t.test('relay refuses the answer from the ACK: cause 88', async (t) => {
  const r = rig({ failAnswer: true });
  r.call.start(); await tick();
  r.bs[0]!.farAnswer('offer-b');
  const rec = await r.call.done;
  t.equal(rec.cause, 88);
  t.match(rec.causeText, /refused the caller's answer in the ACK/);
  t.same(r.bs[0]!.log.at(-1), 'hangup 88');
});

t.test('B answers a late offer without an offer: cause 127', async (t) => {
  const r = rig();
  r.call.start(); await tick();
  r.bs[0]!.farAnswer();
  const rec = await r.call.done;
  t.equal(rec.cause, 127);
  t.match(rec.causeText, /answered without an SDP offer/);
  t.same(r.a.log, ['reject 127'], 'A never got a 200: it is refused');
});
