// The Call with the real rtpengine behind it (legs are scripted; SIP legs come later): SDP goes
// A → relay → B and back, RTP flows, the record carries rtpengine's packet counts and codecs;
// when RTP stops, the media watch ends the call with cause 102; a relay that is down refuses
// new calls with cause 47.
import t from 'tap';
import { LegBase, type Leg, type MediaDescription, type OriginateRequest, type ProgressInfo } from '../../src/call/leg.js';
import { Call } from '../../src/call/call.js';
import { RtpengineRelay } from '../../src/media/rtpengine-relay.js';
import { startRtpengine, Endpoint, sdp, target, ulawTone, PCMU, G722, TEL } from './rtpengine-harness.test.js';

const IP = '127.0.4.15';

class ScriptedLeg extends LegBase implements Leg {
  readonly kind = 'sip' as const;
  remoteMedia: MediaDescription | undefined;
  sent: MediaDescription | undefined;
  calling = '1000';
  called = '2000';
  readonly log: string[] = [];
  constructor(readonly id: string, readonly direction: 'inbound' | 'outbound', readonly trunk: string) { super(); }
  async originate(req: OriginateRequest): Promise<void> { this.sent = req.media; this.log.push('originate'); }
  async progress(_i: ProgressInfo, m?: MediaDescription): Promise<void> { if (m) this.sent = m; }
  async answer(m?: MediaDescription): Promise<void> { this.sent = m; this.log.push('answer'); this.setState('answered'); }
  async reject(cause: number): Promise<void> { this.log.push(`reject ${cause}`); this.ended({ cause, by: 'local' }); }
  async hangup(cause: number): Promise<void> { this.log.push(`hangup ${cause}`); this.ended({ cause, by: 'local' }); }
  async hold(): Promise<void> {}
  async updateMedia(o: MediaDescription): Promise<MediaDescription> { return o; }
  async sendDtmf(): Promise<void> {}
}

t.test('call through rtpengine: RTP flows, then media stops and the call ends with cause 102', async (t) => {
  const { sup } = await startRtpengine(t, { ip: IP, ngPort: 50015, portMin: 52100, portMax: 52199 });
  const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 1500, mediaCheckIntervalMs: 250 });
  const ea = await new Endpoint(IP).bind();
  const eb = await new Endpoint(IP).bind();
  t.teardown(() => { ea.close(); eb.close(); });
  const a = new ScriptedLeg('a', 'inbound', 'pbx');
  a.remoteMedia = { sdp: sdp(IP, ea.port, [PCMU, TEL]) };
  let b: ScriptedLeg | undefined;
  const call = new Call({
    id: 'rtpe-call-1', a,
    decision: { targets: [{ trunk: 'teams', called: '+4930555200', calling: '+4930555100', reason: 'test' }], failoverCauses: [], explanation: ['test'] },
    createLeg: (tg) => { b = new ScriptedLeg('b', 'outbound', tg.trunk); return b; },
    media: { relay, optionsFor: (trunk) => (trunk === 'teams' ? { transport: 'RTP/AVP', codecs: ['G722', 'PCMU'] } : { transport: 'RTP/AVP' }) },
  });
  const answered = new Promise<void>((r) => call.on('state', (s) => { if (s === 'answered') r(); }));
  call.start();
  while (!b?.sent) await new Promise((r) => setImmediate(r));
  const offerB = target(b.sent.sdp!);
  t.same(Object.keys(offerB.pts), ['G722', 'PCMU', 'telephone-event'], 'B sees its trunk\'s codec order');
  b.emit('answer', { sdp: sdp(IP, eb.port, [G722]) });
  await answered;
  const answerA = target(a.sent!.sdp!);
  t.equal(answerA.pts['PCMU'], 0, 'A answered with PCMU (transcoded to G.722 for B)');
  await Promise.all([
    ea.stream(answerA, { pt: 0, count: 25, ssrc: 1, payload: ulawTone }),
    eb.stream(offerB, { pt: 9, count: 25, ssrc: 2, payload: () => Buffer.alloc(160, 0x55) }),
  ]);
  await eb.waitFor(20, 9);
  await ea.waitFor(20, 0);
  // Both sides go silent now: the media watch must end the call.
  const rec = await call.done;
  t.equal(rec.cause, 102, 'ended by media timeout');
  t.equal(rec.endedBy, 'local');
  t.equal(rec.disposition, 'answered');
  t.same(a.log.at(-1), 'hangup 102');
  t.same(b!.log.at(-1), 'hangup 102');
  t.ok(rec.media && rec.media.a.packetsIn >= 20 && rec.media.b.packetsIn >= 20, `record has rtpengine counts a=${rec.media?.a.packetsIn} b=${rec.media?.b.packetsIn}`);
  t.equal(rec.media?.a.codec, 'PCMU');
  t.equal(rec.media?.b.codec, 'G722');
  t.equal(relay.sessionCount, 0, 'session deleted');

  await sup.stop();
  const a2 = new ScriptedLeg('a2', 'inbound', 'pbx');
  a2.remoteMedia = { sdp: sdp(IP, ea.port, [PCMU]) };
  const call2 = new Call({
    id: 'rtpe-call-2', a: a2,
    decision: { targets: [{ trunk: 'teams', called: '1', calling: '2', reason: 'test' }], failoverCauses: [], explanation: [] },
    createLeg: () => { throw new Error('must not place a leg without media'); },
    media: { relay, optionsFor: () => ({ transport: 'RTP/AVP' }) },
  });
  call2.start();
  const rec2 = await call2.done;
  t.equal(rec2.cause, 47, 'relay down: refused with cause 47 (→ SIP 503)');
  t.same(a2.log, ['reject 47']);
});
