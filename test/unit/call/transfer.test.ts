// Blind transfer in the call core (src/call/transfer.ts through Call): B (the UC side) asks to
// transfer A elsewhere; a new leg is routed and placed with A's media re-offered; when it
// answers A is re-INVITEd with the new media and the new leg takes B's place.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { LegBase, type Leg, type LegDirection, type MediaDescription, type OriginateRequest, type TransferRequest } from '../../../src/call/leg.js';
import { Call } from '../../../src/call/call.js';
import type { RouteDecision, RouteRequest, RouteTarget } from '../../../src/call/router.js';
import type { AnswerRequest, MediaRelay, MediaSession, OfferRequest, RelayHealth, SessionStats } from '../../../src/media/relay.js';

class Leg1 extends LegBase implements Leg {
  readonly kind = 'sip' as const;
  readonly log: string[] = [];
  remoteMedia: MediaDescription | undefined;
  calling = '200';
  called = '100';
  constructor(readonly id: string, readonly direction: LegDirection, readonly trunk: string) { super(); }
  async originate(req: OriginateRequest): Promise<void> { this.log.push(`originate ${req.called} ${req.media?.sdp ?? '-'}`); this.called = req.called; }
  async progress(): Promise<void> {}
  async answer(m?: MediaDescription): Promise<void> { this.log.push(`answer ${m?.sdp ?? '-'}`); this.setState('answered'); }
  async reject(cause: number): Promise<void> { this.log.push(`reject ${cause}`); this.ended({ cause, by: 'local' }); }
  async hangup(cause: number): Promise<void> { this.log.push(`hangup ${cause}`); this.ended({ cause, by: 'local' }); }
  async hold(): Promise<void> {}
  async updateMedia(o: MediaDescription): Promise<MediaDescription> { this.log.push(`reinvite ${o.sdp}`); return { sdp: 'a-again' }; }
  async sendDtmf(d: string): Promise<void> { this.log.push(`dtmf ${d}`); }
  farAnswer(sdp: string): void { this.remoteMedia = { sdp }; this.setState('answered'); this.emit('answer', { sdp }); }
  farHangup(cause: number, sipStatus?: number): void { this.ended({ cause, by: 'remote', ...(sipStatus ? { sipStatus } : {}) }); }
  farTransfer(target: string): string[] {
    const notes: string[] = [];
    const req: TransferRequest = { target, notify: (s, r) => notes.push(`${s} ${r}`) };
    this.emit('transfer', req);
    return notes;
  }
}

class Session extends EventEmitter implements MediaSession {
  closed = false;
  readonly log: string[] = [];
  constructor(readonly id: string) { super(); }
  async offer(r: OfferRequest): Promise<string> { this.log.push(`offer ${r.from} ${r.sdp}`); return `r(${r.sdp})`; }
  async answer(r: AnswerRequest): Promise<string> { this.log.push(`answer ${r.from} ${r.sdp}`); return `r(${r.sdp})`; }
  async stats(): Promise<SessionStats> { return { a: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 }, b: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 } }; }
  async close(): Promise<SessionStats | undefined> { this.closed = true; return undefined; }
}
class Relay implements MediaRelay {
  readonly name = 'fake';
  readonly sessions: Session[] = [];
  createSession(id: string): MediaSession { const s = new Session(id); this.sessions.push(s); return s; }
  async health(): Promise<RelayHealth> { return { up: true }; }
  async close(): Promise<void> {}
}

const tick = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };
const tg = (trunk: string, called: string): RouteTarget => ({ trunk, called, calling: '200', reason: 'test' });

function rig(route?: (r: RouteRequest) => RouteDecision) {
  const a = new Leg1('a', 'inbound', 'pbx');
  a.remoteMedia = { sdp: 'a-offer' };
  const legs: Leg1[] = [];
  const relay = new Relay();
  const routed: RouteRequest[] = [];
  const call = new Call({
    id: 'c', a,
    decision: { targets: [tg('teams', '100')], failoverCauses: [], explanation: [] },
    createLeg: (x) => { const l = new Leg1(`l${legs.length + 1}`, 'outbound', x.trunk); legs.push(l); return l; },
    media: { relay, optionsFor: () => ({ transport: 'RTP/AVP' }) },
    ...(route ? { transferRoute: (r: RouteRequest) => { routed.push(r); return route(r); } } : {}),
    // The transferor's grace period runs out at once here.
    timers: { setTimeout: (f: () => void) => { setImmediate(f); return 0; }, clearTimeout: () => undefined },
  });
  return { a, legs, relay, call, routed };
}

async function answered(r: ReturnType<typeof rig>): Promise<Leg1> {
  r.call.start(); await tick();
  const b = r.legs[0]!;
  b.farAnswer('b-answer'); await tick();
  return b;
}

t.test('B transfers A: new leg routed, placed with A media, answered, B released, A re-INVITEd', async (t) => {
  const r = rig(() => ({ targets: [tg('pstn', '+4930555300')], failoverCauses: [], explanation: ['transfer'] }));
  const b = await answered(r);
  const notes = b.farTransfer('+4930555300'); await tick();
  t.same(r.routed, [{ fromTrunk: 'teams', called: '+4930555300', calling: '200' }], 'routed from the transferor\'s trunk');
  const z = r.legs[1]!;
  t.same(z.log, ['originate +4930555300 r(a-offer)'], 'A\'s media re-offered to the new leg');
  t.same(r.relay.sessions[0]!.log.slice(-1), ['offer a a-offer']);
  t.same(notes, []);
  b.farHangup(16); await tick(); // the transferor leaves early: the call goes on
  t.equal(r.call.state, 'answered');
  z.farAnswer('z-answer'); await tick();
  t.same(r.relay.sessions[0]!.log.slice(-3), ['answer b z-answer', 'offer b z-answer', 'answer a a-again'],
    'z\'s answer completes its exchange, is offered to A afresh, and A\'s answer goes back into the relay');
  t.same(r.a.log.slice(-1), ['reinvite r(z-answer)'], 'A gets the new media (and is resumed)');
  t.equal(r.call.b, z, 'the new leg is B now');
  z.farHangup(16); await tick();
  const rec = await r.call.done;
  t.equal(rec.disposition, 'answered');
  t.equal(rec.endedBy, 'b');
  t.equal(rec.b?.id, 'l2');
  t.same(rec.transfers, [{ from: 'b', to: '+4930555300', kind: 'blind', trunk: 'pstn' }]);
  t.same(r.a.log.slice(-1), ['hangup 16']);
});

t.test('transfer target busy while the transferor stays: NOTIFY 486, call goes on', async (t) => {
  const r = rig(() => ({ targets: [tg('pstn', '300')], failoverCauses: [], explanation: [] }));
  const b = await answered(r);
  const notes = b.farTransfer('300'); await tick();
  r.legs[1]!.farHangup(17, 486); await tick();
  t.same(notes, ['486 transfer target failed']);
  t.same(r.relay.sessions[0]!.log.slice(-2).map((l) => l.split(' ').slice(0, 2).join(' ')), ['offer a', 'answer b'],
    'the relay is put back for the transferor who stays');
  t.equal(r.call.state, 'answered');
  t.equal(r.call.b, b);
  b.farHangup(16); await tick();
  const rec = await r.call.done;
  t.same(rec.transfers, [{ from: 'b', to: '300', kind: 'blind', trunk: 'pstn', cause: 17 }]);
});

t.test('transfer target fails after the transferor left: A is released with the cause', async (t) => {
  const r = rig(() => ({ targets: [tg('pstn', '300')], failoverCauses: [], explanation: [] }));
  const b = await answered(r);
  b.farTransfer('300'); await tick();
  b.farHangup(16); await tick();
  r.legs[1]!.farHangup(17, 486); await tick();
  const rec = await r.call.done;
  t.equal(rec.cause, 17);
  t.same(r.a.log.slice(-1), ['hangup 17']);
});

t.test('A transfers: the new leg takes A\'s place with B\'s media', async (t) => {
  const r = rig(() => ({ targets: [tg('pbx', '400')], failoverCauses: [], explanation: [] }));
  const b = await answered(r);
  const a = r.a;
  a.farTransfer('400'); await tick();
  const z = r.legs[1]!;
  t.same(z.log, ['originate 400 r(b-answer)'], 'B\'s SDP offered from the b side');
  z.farAnswer('z-sdp'); await tick();
  t.same(b.log.slice(-1), ['reinvite r(z-sdp)']);
  t.equal(r.call.a, z);
  t.same(a.log.slice(-1), ['hangup 16'], 'the transferor is released');
  b.farHangup(16); await tick();
  const rec = await r.call.done;
  t.equal(rec.a.id, 'l2');
  t.same(z.log.slice(-1), ['hangup 16']);
});

t.test('declined: no transfer routing, not answered, no route, or the remaining leg hangs up', async (t) => {
  const none = rig();
  const b = await answered(none);
  const declined = b.farTransfer('300'); await tick();
  t.same(declined, ['603 Declined']);
  const noRoute = rig(() => ({ targets: [], cause: 3, failoverCauses: [], explanation: [] }));
  const b2 = await answered(noRoute);
  const notes = b2.farTransfer('300'); await tick();
  t.same(notes, ['404 no route for the transfer target']);
  t.equal(noRoute.call.state, 'answered');
  const gone = rig(() => ({ targets: [tg('pstn', '300')], failoverCauses: [], explanation: [] }));
  await answered(gone);
  gone.legs[0]!.farTransfer('300'); await tick();
  gone.a.farHangup(16); await tick();
  await gone.call.done;
  t.same(gone.legs[1]!.log.slice(-1), ['hangup 16'], 'the new leg is released when A leaves');
});
