// Attended transfer joined locally (src/call/attended-transfer.ts through two Calls): call 1 is
// A ⇄ B1, call 2 is C ⇄ B2; B1's REFER names B2's dialog. C is re-INVITEd into call 1's media,
// takes B1's place, call 2 ends with BYE on B2 only, A is re-INVITEd with C's media; failures
// leave both calls as they were.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { LegBase, type Leg, type LegDirection, type MediaDescription, type MediaUpdate, type OriginateRequest, type TransferRequest } from '../../../src/call/leg.js';
import { Call } from '../../../src/call/call.js';
import type { RouteTarget } from '../../../src/call/router.js';
import type { AnswerRequest, MediaRelay, MediaSession, OfferRequest, RelayHealth, SessionStats } from '../../../src/media/relay.js';
import { SignalingError } from '../../../src/errors.js';
import { resumed } from '../../../src/call/sdp-direction.js';

class L extends LegBase implements Leg {
  readonly kind = 'sip' as const;
  readonly log: string[] = [];
  remoteMedia: MediaDescription | undefined;
  calling = '200';
  called = '100';
  refuseUpdate: Error | undefined;
  /** When set, re-INVITEs wait for it (a far end slow to answer). */
  gate: Promise<void> | undefined;
  constructor(readonly id: string, readonly direction: LegDirection, readonly trunk: string) { super(); }
  async originate(_req: OriginateRequest): Promise<void> { this.setState('calling'); }
  async progress(): Promise<void> {}
  async answer(m?: MediaDescription): Promise<void> { this.log.push(`answer ${m?.sdp ?? '-'}`); this.setState('answered'); }
  async reject(cause: number): Promise<void> { this.log.push(`reject ${cause}`); this.ended({ cause, by: 'local' }); }
  async hangup(cause: number): Promise<void> { this.log.push(`hangup ${cause}`); this.ended({ cause, by: 'local' }); }
  async hold(): Promise<void> {}
  async updateMedia(o: MediaDescription): Promise<MediaDescription> {
    this.log.push(`reinvite ${o.sdp}`);
    if (this.gate) await this.gate;
    if (this.refuseUpdate) throw this.refuseUpdate;
    this.remoteMedia = { sdp: `${this.id}-again` };
    return this.remoteMedia;
  }
  async sendDtmf(d: string): Promise<void> { this.log.push(`dtmf ${d}`); }
  farAnswer(sdp: string): void { this.remoteMedia = { sdp }; this.setState('answered'); this.emit('answer', { sdp }); }
  farHangup(cause: number): void { this.ended({ cause, by: 'remote' }); }
  farUpdate(sdp: string): string[] {
    const out: string[] = [];
    const u: MediaUpdate = { media: { sdp }, accept: (m) => out.push(`accept ${m.sdp}`), reject: (c) => out.push(`reject ${c}`) };
    this.emit('update', u);
    return out;
  }
  farAttended(target: string, replaced: Leg): string[] {
    const notes: string[] = [];
    const req: TransferRequest = { target, replaces: { kind: 'local', leg: replaced }, notify: (s, r) => notes.push(`${s} ${r}`) };
    this.emit('transfer', req);
    return notes;
  }
}

class Session extends EventEmitter implements MediaSession {
  closed = false;
  readonly log: string[] = [];
  constructor(readonly id: string) { super(); }
  async offer(r: OfferRequest): Promise<string> { this.log.push(`offer ${r.from} ${r.sdp}`); return `${this.id}(${r.sdp})`; }
  async answer(r: AnswerRequest): Promise<string> { this.log.push(`answer ${r.from} ${r.sdp}`); return `${this.id}(${r.sdp})`; }
  async stats(): Promise<SessionStats> { return { a: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 }, b: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 } }; }
  async close(): Promise<SessionStats | undefined> { this.closed = true; return undefined; }
}
class Relay implements MediaRelay {
  readonly name = 'fake';
  readonly sessions = new Map<string, Session>();
  createSession(id: string): MediaSession { const s = new Session(`s${id}`); this.sessions.set(id, s); return s; }
  async health(): Promise<RelayHealth> { return { up: true }; }
  async close(): Promise<void> {}
}

const tick = async (): Promise<void> => { for (let i = 0; i < 8; i++) await new Promise((r) => setImmediate(r)); };
const tg = (trunk: string, called: string): RouteTarget => ({ trunk, called, calling: '200', reason: 'test' });

/** Two answered calls: 1 = A(pbx) ⇄ B1(uc), 2 = C(pbx) ⇄ B2(uc). */
async function rig(o: { answer2?: boolean; heldA?: boolean } = {}) {
  const relay = new Relay();
  const calls: Call[] = [];
  const mk = (id: string, a: L, b: L): Call => {
    const call = new Call({
      id, a,
      decision: { targets: [tg('uc', a.called)], failoverCauses: [], explanation: [] },
      createLeg: () => b,
      transferRoute: () => ({ targets: [], failoverCauses: [], explanation: [] }),
      findCall: (leg) => calls.find((c) => c.a === leg || c.b === leg),
      media: { relay, optionsFor: () => ({ transport: 'RTP/AVP' }) },
      timers: { setTimeout: (f: () => void) => { setImmediate(f); return 0; }, clearTimeout: () => undefined },
    });
    calls.push(call);
    return call;
  };
  const A = new L('A', 'inbound', 'pbx');
  A.remoteMedia = { sdp: o.heldA ? 'v=0\r\na=recvonly\r\n' : 'A-offer' };
  A.calling = '+1555100111';
  const B1 = new L('B1', 'outbound', 'uc');
  const C = new L('C', 'inbound', 'pbx');
  C.remoteMedia = { sdp: 'C-offer' };
  C.calling = '+1555100999';
  const B2 = new L('B2', 'outbound', 'uc');
  const call1 = mk('1', A, B1);
  const call2 = mk('2', C, B2);
  call1.start(); call2.start(); await tick();
  B1.farAnswer('B1-answer');
  if (o.answer2 !== false) B2.farAnswer('B2-answer');
  await tick();
  return { relay, A, B1, C, B2, call1, call2, s1: relay.sessions.get('1')!, s2: relay.sessions.get('2')! };
}

t.test('joined locally: C into call 1, B2 gets BYE, B1 hears 200 and is released, A re-INVITEd', async (t) => {
  const r = await rig();
  const notes = r.B1.farAttended('+1555100999', r.B2); await tick();
  t.same(r.C.log, ['answer s2(B2-answer)', 'reinvite s1(A-offer)'], 'C is re-INVITEd with A\'s media through call 1\'s relay');
  t.same(r.s1.log.slice(-4), ['offer a A-offer', 'answer b C-again', 'offer b C-again', 'answer a A-again'],
    'C\'s answer completes the exchange, is offered to A afresh, and A\'s answer goes back into the relay');
  t.same(r.A.log.slice(-1), ['reinvite s1(C-again)'], 'A gets C\'s media');
  t.same(notes, ['200 OK']);
  t.equal(r.call1.b, r.C, 'C has taken B1\'s place');
  t.same(r.B2.log, ['hangup 16'], 'the replaced dialog gets BYE');
  t.same(r.B1.log, ['hangup 16'], 'the transferor is released');
  const rec2 = await r.call2.done;
  t.equal(r.C.state, 'answered', 'call 2 ended without touching C');
  t.same(rec2.transfers, [{ from: 'b', to: r.B2.called, kind: 'replaced', joinedCall: '1', trunk: 'pbx' }]);
  t.ok(r.s2.closed, 'call 2\'s media session is closed');
  // C's mid-call offers now go to call 1 only (call 2 took its listeners off).
  t.same(r.C.farUpdate('C-hold'), []); await tick();
  t.same(r.A.log.slice(-1), ['reinvite s1(C-hold)']);
  r.C.farHangup(16); await tick();
  const rec1 = await r.call1.done;
  t.equal(rec1.b?.id, 'C');
  t.equal(rec1.endedBy, 'b');
  t.same(rec1.transfers, [{ from: 'b', to: '+1555100999', kind: 'attended', trunk: 'pbx', joinedCall: '2' }]);
  t.same(r.A.log.slice(-1), ['hangup 16']);
});

t.test('a held party is offered as sendrecv', async (t) => {
  const r = await rig({ heldA: true });
  r.B1.farAttended('300', r.B2); await tick();
  t.same(r.C.log.slice(-1), [`reinvite s1(${resumed('v=0\r\na=recvonly\r\n')})`]);
  t.match(r.C.log.at(-1), /a=sendrecv/);
  t.equal(resumed('m=audio 1 RTP/AVP 0\r\na=sendonly\r\na=inactive \r\na=sendrecvx\r\n'), 'm=audio 1 RTP/AVP 0\r\na=sendrecv\r\na=sendrecv\r\na=sendrecvx\r\n');
});

t.test('C refuses the re-INVITE: NOTIFY with its status, both calls stay as they were', async (t) => {
  const r = await rig();
  r.C.refuseUpdate = new SignalingError('re-INVITE refused: 488', { sipStatus: 488, q850Cause: 88 });
  const notes = r.B1.farAttended('300', r.B2); await tick();
  t.same(notes, ['488 Transfer Failed']);
  t.equal(r.call1.b, r.B1);
  t.equal(r.call1.state, 'answered');
  t.equal(r.call2.state, 'answered');
  t.same(r.s1.log.slice(-2), ['offer a A-offer', 'answer b B1-answer'], 'call 1\'s relay is put back for the transferor');
  t.same(r.B2.log, [], 'B2 untouched');
  // C is call 2's again: its hangup ends call 2 with a BYE to B2.
  r.C.farHangup(16); await tick();
  const rec2 = await r.call2.done;
  t.equal(rec2.endedBy, 'a');
  t.same(r.B2.log, ['hangup 16']);
  r.B1.farHangup(16); await tick();
  const rec1 = await r.call1.done;
  t.same(rec1.transfers, [{ from: 'b', to: '300', kind: 'attended', trunk: 'pbx', joinedCall: '2', cause: 88 }]);
});

t.test('the consultation call is not answered: 481, nothing changes', async (t) => {
  const r = await rig({ answer2: false });
  const notes = r.B1.farAttended('300', r.B2); await tick();
  t.same(notes, ['481 Call Does Not Exist']);
  t.same(r.C.log, [], 'C untouched');
  t.equal(r.call1.b, r.B1);
});

t.test('Replaces naming a leg no call holds, or the same call: 481 / 603', async (t) => {
  const r = await rig();
  const stray = new L('X', 'inbound', 'uc');
  const n1 = r.B1.farAttended('300', stray); await tick();
  t.match(n1, ['481 Call Does Not Exist']);
  const n2 = r.B1.farAttended('300', r.A); await tick();
  t.same(n2, ['603 Declined']);
  t.equal(r.call1.state, 'answered');
  t.equal(r.call2.state, 'answered');
});

t.test('A leaves while C answers its re-INVITE: C goes back to call 2\'s media, call 1 ends, call 2 goes on', async (t) => {
  const r = await rig();
  let open!: () => void;
  r.C.gate = new Promise((res) => { open = res; });
  const notes = r.B1.farAttended('300', r.B2); await tick();
  t.same(r.C.log.slice(-1), ['reinvite s1(A-offer)']);
  r.A.farHangup(16); await tick();
  r.C.gate = undefined;
  open(); await tick();
  t.same(notes, ['487 Transfer Failed']);
  t.same(r.C.log.slice(-1), ['reinvite s2(B2-answer)'], 'C is re-INVITEd back into call 2\'s relay, offered B2\'s media');
  t.same(r.s2.log.slice(-2), ['offer b B2-answer', 'answer a C-again']);
  const rec1 = await r.call1.done;
  t.equal(rec1.endedBy, 'a');
  t.same(r.B1.log, ['hangup 16'], 'the transferor\'s dialog ends with call 1');
  t.equal(r.call2.state, 'answered');
  t.equal(r.call2.a, r.C);
  t.same(r.B2.log, []);
});
