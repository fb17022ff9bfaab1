import t from 'tap';
import { EventEmitter } from 'node:events';
import { AdmissionControl } from '../../../src/call/admission.js';
import { CallDispatcher, type LegProvider } from '../../../src/call/dispatcher.js';
import { LegBase, type Leg, type LegKind, type LegDirection, type MediaDescription, type OriginateRequest } from '../../../src/call/leg.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { RouteDecision, RouteTarget, Router } from '../../../src/call/router.js';
import type { AnswerRequest, MediaRelay, MediaSession, OfferRequest, RelayHealth, SessionStats } from '../../../src/media/relay.js';

class FakeLeg extends LegBase implements Leg {
  readonly log: string[] = [];
  remoteMedia: MediaDescription | undefined;
  constructor(readonly id: string, readonly kind: LegKind, readonly direction: LegDirection, readonly trunk: string, public calling = '200', public called = '100') { super(); }
  async originate(req: OriginateRequest): Promise<void> { this.log.push(`originate ${req.called} ${req.media?.sdp ?? '-'}`); this.setState('calling'); }
  async progress(): Promise<void> {}
  async answer(m?: MediaDescription): Promise<void> { this.log.push(`answer ${m?.sdp ?? '-'}`); this.setState('answered'); }
  async reject(cause: number): Promise<void> { this.log.push(`reject ${cause}`); this.ended({ cause, by: 'local' }); }
  async hangup(cause: number): Promise<void> { this.log.push(`hangup ${cause}`); this.ended({ cause, by: 'local' }); }
  async hold(): Promise<void> {}
  async updateMedia(o: MediaDescription): Promise<MediaDescription> { return o; }
  async sendDtmf(): Promise<void> {}
  farAnswer(sdp?: string): void { this.setState('answered'); this.emit('answer', sdp === undefined ? undefined : { sdp }); }
  farHangup(cause: number): void { this.ended({ cause, by: 'remote' }); }
}

class Session extends EventEmitter implements MediaSession {
  closed = false;
  constructor(readonly id: string) { super(); }
  async offer(r: OfferRequest): Promise<string> { return `relayed(${r.sdp})`; }
  async answer(r: AnswerRequest): Promise<string> { return `relayed(${r.sdp})`; }
  async stats(): Promise<SessionStats> { return { a: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 }, b: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 } }; }
  async close(): Promise<SessionStats | undefined> { return undefined; }
}
class Relay implements MediaRelay {
  readonly name = 'fake';
  createSession(id: string): MediaSession { return new Session(id); }
  async health(): Promise<RelayHealth> { return { up: true }; }
  async close(): Promise<void> {}
}

class Provider implements LegProvider {
  readonly legs: FakeLeg[] = [];
  constructor(readonly kind: LegKind, readonly trunks: string[]) {}
  owns(trunk: string): boolean { return this.trunks.includes(trunk); }
  createLeg(tg: RouteTarget): Leg { const l = new FakeLeg(`${this.kind}-${this.legs.length}`, this.kind, 'outbound', tg.trunk); this.legs.push(l); return l; }
  mediaOptions(): { transport: 'RTP/AVP' } { return { transport: 'RTP/AVP' }; }
}

const routeTo = (...trunks: string[]): Router => ({
  decide: (): RouteDecision => ({ targets: trunks.map((trunk) => ({ trunk, called: '100', calling: '200', reason: `to ${trunk}` })), failoverCauses: [34, 41], explanation: ['test'] }),
});

function rig(o: { router?: Router; relay?: MediaRelay | undefined; accepting?: boolean; limits?: Record<string, { maxCalls: number; maxCps: number }> } = {}) {
  const registry = new CallRegistry();
  const sip = new Provider('sip', ['uc', 'uc2']);
  const tdm = new Provider('tdm', ['pstn', 'pbx']);
  const d = new CallDispatcher({
    registry, router: o.router ?? routeTo('uc'), relay: () => ('relay' in o ? o.relay : new Relay()),
    admission: new AdmissionControl((tr) => o.limits?.[tr]),
    accepting: () => o.accepting ?? true, ringTimeoutMs: () => 0, newId: () => 'call-1',
  });
  d.addProvider(sip);
  d.addProvider(tdm);
  return { d, registry, sip, tdm };
}
const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };

t.test('an inbound PRI call goes to the SIP provider with media anchored', async (t) => {
  const { d, registry, sip } = rig();
  const a = new FakeLeg('a', 'tdm', 'inbound', 'pstn');
  a.remoteMedia = { sdp: 'offer' };
  const r = d.inbound(a);
  t.ok(r.ok);
  t.equal(registry.size, 1);
  await settle();
  t.same(sip.legs[0]?.log, ['originate 100 relayed(offer)'], 'the SIP leg got the relayed offer');
  sip.legs[0]!.farAnswer('ans');
  await settle();
  t.same(a.log, ['answer relayed(ans)']);
  a.farHangup(16);
  if (r.ok) await r.call.done;
  t.equal(registry.size, 0);
});

t.test('a leg with media on demand (a PRI B-channel) opens it only when the relay anchors the call', async (t) => {
  class OnDemand extends FakeLeg {
    anchored = 0;
    fail = false;
    anchorMedia(): void {
      if (this.fail) throw new Error('no RTP port left');
      this.anchored += 1;
      this.remoteMedia = { sdp: 'b-channel offer' };
    }
  }
  const { d, sip } = rig();
  const a = new OnDemand('a', 'tdm', 'inbound', 'pstn');
  t.ok(d.inbound(a).ok);
  await settle();
  t.equal(a.anchored, 1);
  t.same(sip.legs[0]?.log, ['originate 100 relayed(b-channel offer)'], 'the SIP leg got the B-channel\'s offer through the relay');
  const native = rig({ router: routeTo('pbx'), relay: undefined });
  const b = new OnDemand('b', 'tdm', 'inbound', 'pstn');
  t.ok(native.d.inbound(b).ok);
  await settle();
  t.equal(b.anchored, 0, 'PRI ⇄ PRI: no RTP endpoint');
  const bad = new OnDemand('c', 'tdm', 'inbound', 'pstn');
  bad.fail = true;
  t.match(rig().d.inbound(bad), { ok: false, cause: 47 }, 'no media: 47');
  t.match(rig({ relay: undefined }).d.inbound(new OnDemand('e', 'tdm', 'inbound', 'pstn')), { ok: false, cause: 47 }, 'PRI → SIP without a relay: 47');
});

t.test('TDM to TDM needs no relay: media stays native', async (t) => {
  const { d, tdm } = rig({ router: routeTo('pbx'), relay: undefined });
  const a = new FakeLeg('a', 'tdm', 'inbound', 'pstn');
  a.remoteMedia = { sdp: 'native' };
  t.ok(d.inbound(a).ok);
  await settle();
  t.same(tdm.legs[0]?.log, ['originate 100 native'], 'offer passed through unchanged');
});

t.test('refusals: draining 41, no relay 47, inbound trunk limit 34, no route', async (t) => {
  const sipA = (): FakeLeg => { const a = new FakeLeg('a', 'sip', 'inbound', 'uc2'); a.remoteMedia = { sdp: 'o' }; return a; };
  t.match(rig({ accepting: false }).d.inbound(sipA()), { ok: false, cause: 41 });
  t.match(rig({ relay: undefined }).d.inbound(sipA()), { ok: false, cause: 47 });
  const lim = rig({ limits: { uc2: { maxCalls: 1, maxCps: 0 } } });
  t.ok(lim.d.inbound(sipA()).ok);
  t.match(lim.d.inbound(sipA()), { ok: false, cause: 34 });
  const none = rig({ router: routeTo('nowhere') });
  const a = sipA();
  const r = none.d.inbound(a);
  t.ok(r.ok, 'the call starts and fails itself, so the CDR records it');
  if (r.ok) await r.call.done;
  t.match(a.log, [/^reject 3$/], 'no route to destination');
});

t.test('the routing decision is released when its call ends, or at once when no call starts', async (t) => {
  let released = 0;
  const counting = (trunk: string): Router => ({
    decide: () => ({ ...routeTo(trunk).decide({ fromTrunk: 'pstn', called: '100', calling: '200' }), release: () => { released++; } }),
  });
  const { d, sip } = rig({ router: counting('uc') });
  const a = new FakeLeg('a', 'tdm', 'inbound', 'pstn');
  a.remoteMedia = { sdp: 'offer' };
  const r = d.inbound(a);
  t.ok(r.ok);
  await settle();
  t.equal(released, 0, 'held while the call is up');
  sip.legs[0]!.farAnswer('ans');
  await settle();
  a.farHangup(16);
  if (r.ok) await r.call.done;
  t.equal(released, 1, 'released when it ended');
  t.match(rig({ router: counting('uc'), relay: undefined }).d.inbound(new FakeLeg('b', 'tdm', 'inbound', 'pstn')), { ok: false, cause: 47 });
  t.equal(released, 2, 'a call refused for want of a relay releases its decision');
});

t.test('an outbound trunk at its limit fails over to the next target', async (t) => {
  const { d, sip } = rig({ router: routeTo('uc', 'uc2'), limits: { uc: { maxCalls: 1, maxCps: 0 } } });
  // The first call holds uc's only slot.
  const first = new FakeLeg('a1', 'tdm', 'inbound', 'pstn');
  first.remoteMedia = { sdp: 'o' };
  t.ok(d.inbound(first).ok);
  await settle();
  const second = new FakeLeg('a2', 'tdm', 'inbound', 'pstn');
  second.remoteMedia = { sdp: 'o' };
  t.ok(d.inbound(second).ok);
  await settle();
  t.same(sip.legs.map((l) => l.trunk), ['uc', 'uc2'], 'second call skipped uc (34) and went to uc2');
});
