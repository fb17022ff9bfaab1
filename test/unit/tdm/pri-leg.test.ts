// PriLeg state handling against a fake PRI API: no native library involved.
import t from 'tap';
import { ClosedError, NativeError, SignalingError } from '../../../src/errors.js';
import type { PriApi, PriCallInfo, PriEvent, PriSetupOptions } from '../../../src/ffi/pri.js';
import type { HangupInfo, ProgressInfo } from '../../../src/call/leg.js';
import { PriLeg, refusalTone, type PriLegHost } from '../../../src/tdm/pri-leg.js';
import { PriMedia, type TdmApi } from '../../../src/tdm/pri-media.js';
import type { TdmStatsValues } from '../../../src/ffi/tdm.js';
import { PriRtp } from '../../../src/tdm/pri-rtp.js';
import type { RtpEndpointConfig, RtpStats } from '../../../src/ffi/engine.js';

class FakeApi implements PriApi {
  cmds: string[] = [];
  setups: PriSetupOptions[] = [];
  failHangup: NativeError | undefined;
  nextCall = 4097;
  call(span: number, setup: PriSetupOptions): number {
    this.setups.push(setup);
    this.cmds.push(`call ${span}`);
    return this.nextCall;
  }
  proceeding(call: number, inband: boolean): void { this.cmds.push(`proceeding ${call} ${inband}`); }
  alerting(call: number, inband: boolean): void { this.cmds.push(`alerting ${call} ${inband}`); }
  progress(call: number): void { this.cmds.push(`progress ${call}`); }
  progressCause(call: number, cause: number): void { this.cmds.push(`progress ${call} cause ${cause}`); }
  answer(call: number): void { this.cmds.push(`answer ${call}`); }
  hangup(call: number, cause: number): void {
    if (this.failHangup) throw this.failHangup;
    this.cmds.push(`hangup ${call} ${cause}`);
  }
  digits(call: number, d: string): void { this.cmds.push(`digits ${call} ${d}`); }
  callInfo(): PriCallInfo { throw new Error('not used'); }
}

function host(api = new FakeApi(), pick: PriLegHost['pickSpan'] = () => ({ span: 2, id: 'pbx1' })) {
  const attached = new Map<number, PriLeg>();
  const h: PriLegHost = {
    api,
    attach: (c, l) => { attached.set(c, l); },
    detach: (c) => { attached.delete(c); },
    pickSpan: pick,
  };
  return { h, api, attached };
}

const info = (over: Partial<PriCallInfo> = {}): PriCallInfo => ({
  span: 1, channel: 3, direction: 'incoming', state: 'ringing-in', exclusive: false, complete: true, bearer: 0,
  layer1: 0x23, progress: 0, cause: 0,
  calling: { number: '4930123456', name: 'Alice', ton: 'international', npi: 'e164', pres: 0x21 },
  called: { number: '555100', name: '', ton: 'subscriber', npi: 'e164', pres: 0 },
  ...over,
});

const ev = (kind: string, call: number, extra: Record<string, unknown> = {}): PriEvent =>
  ({ kind, call, span: 1, channel: 0, flags: 0, progress: 0, ...extra }) as unknown as PriEvent;

t.test('inbound: numbers, TON/NPI, presentation and name come from the call info', async (t) => {
  const { h, attached } = host();
  const leg = PriLeg.inbound({ id: 'l1', trunk: 'pstn', host: h }, 6146, 'pstn1', info());
  t.equal(leg.kind, 'tdm');
  t.equal(leg.direction, 'inbound');
  t.equal(leg.state, 'calling');
  t.equal(leg.calling, '+4930123456', 'international calling number gets its +');
  t.equal(leg.called, '555100');
  t.equal(leg.channel, 3);
  t.equal(leg.spanId, 'pstn1');
  t.same(leg.callingParty, { number: '4930123456', name: 'Alice', ton: 'international', npi: 'e164', presentation: 'restricted', screening: 1 });
  t.equal(attached.get(6146), leg, 'attached for events');
});

t.test('inbound: alerting, progress, answer, remote hangup', async (t) => {
  const { h, api, attached } = host();
  const leg = PriLeg.inbound({ id: 'l1', trunk: 'pstn', host: h }, 6146, 'pstn1', info());
  await leg.progress({ ringing: true });
  t.equal(leg.state, 'proceeding');
  await leg.progress({ ringing: true }, { sdp: 'v=0' });
  t.equal(leg.state, 'early', 'ringing with early media is early');
  await leg.progress({ ringing: false }, { sdp: 'v=0' });
  await leg.answer();
  await leg.answer();
  t.equal(leg.state, 'answered');
  t.same(api.cmds, ['alerting 6146 false', 'alerting 6146 true', 'progress 6146', 'answer 6146'], 'answer sent once');
  const ended = new Promise<HangupInfo>((r) => leg.once('hangup', r));
  leg.handleEvent(ev('pri.hangup', 6146, { cause: 16 }));
  t.same(await ended, { cause: 16, by: 'remote', detail: 'Normal call clearing' });
  t.equal(leg.state, 'ended');
  t.equal(attached.size, 0, 'detached');
  await t.rejects(leg.answer(), ClosedError);
  await leg.hangup(16);
  t.same(api.cmds.filter((c) => c.startsWith('hangup')), [], 'no hangup after the far end released');
});

t.test('inbound: reject waits for HANGUP and ends local with our cause', async (t) => {
  const { h, api } = host();
  const leg = PriLeg.inbound({ id: 'l1', trunk: 'pstn', host: h }, 6146, 'pstn1', info());
  let info1: HangupInfo | undefined;
  leg.on('hangup', (i) => { info1 = i; });
  const p = leg.reject(17);
  t.same(api.cmds, ['hangup 6146 17']);
  t.equal(info1, undefined, 'not ended before the PRI layer says so');
  leg.handleEvent(ev('pri.hangup', 6146, { cause: 17, flags: 8 }));
  await p;
  t.same(info1, { cause: 17, by: 'local', detail: 'User busy' });
  await t.rejects(leg.reject(17), ClosedError);
});

t.test('inbound: hangup of a call the native side no longer knows ends at once', async (t) => {
  const { h, api } = host();
  api.failHangup = new NativeError('sg_pri_hangup: no such handle', { errno: -3 });
  const leg = PriLeg.inbound({ id: 'l1', trunk: 'pstn', host: h }, 6146, 'pstn1', info());
  const ended = new Promise<HangupInfo>((r) => leg.once('hangup', r));
  await leg.hangup(16);
  t.same(await ended, { cause: 16, by: 'local', detail: 'call already released' });
});

t.test('inbound: an answered call cannot be rejected; overlap/keypad digits arrive as dtmf', async (t) => {
  const { h } = host();
  const leg = PriLeg.inbound({ id: 'l1', trunk: 'pstn', host: h }, 6146, 'pstn1', info());
  const digits: string[] = [];
  leg.on('dtmf', (d) => digits.push(`${d.digit}:${d.source}`));
  leg.handleEvent(ev('pri.digits', 6146, { digits: '12#' }));
  leg.handleEvent(ev('pri.digits', 9999, { digits: '9' }));
  t.same(digits, ['1:info', '2:info', '#:info'], 'other calls ignored');
  await leg.answer();
  await t.rejects(leg.reject(21), SignalingError);
  await t.rejects(leg.originate({ calling: '1', called: '2' }), SignalingError);
});

t.test('outbound: SETUP with numbers, presentation and name; PROCEEDING, ALERTING, CONNECT', async (t) => {
  const { h, api, attached } = host();
  const leg = PriLeg.outbound({ id: 'o1', trunk: 'pbx', host: h });
  t.equal(leg.state, 'idle');
  await t.rejects(leg.answer(), SignalingError, 'answer is for inbound legs');
  await leg.originate({ calling: '+4930555100', called: '201', callingPresentation: 'restricted', callingName: 'Gateway' });
  t.equal(leg.state, 'calling');
  t.equal(leg.callHandle, 4097);
  t.equal(leg.spanId, 'pbx1');
  t.equal(attached.get(4097), leg);
  t.match(api.setups[0], {
    channel: 0, exclusive: false, complete: true,
    called: { number: '201', ton: 'unknown', npi: 'unknown' },
    calling: { number: '4930555100', ton: 'international', npi: 'e164', pres: 0x21, name: 'Gateway' },
  });
  const seen: string[] = [];
  leg.on('progress', (p: ProgressInfo) => seen.push(`progress ringing=${p.ringing}`));
  leg.on('early-media', () => seen.push('early-media'));
  leg.on('answer', (m) => seen.push(`answer ${JSON.stringify(m)}`));
  leg.handleEvent(ev('pri.proceeding', 4097, { channel: 5 }));
  t.equal(leg.state, 'proceeding');
  t.equal(leg.channel, 5);
  leg.handleEvent(ev('pri.ringing', 4097, { channel: 5, flags: 1 }));
  t.equal(leg.state, 'early');
  leg.handleEvent(ev('pri.answer', 4097));
  t.equal(leg.state, 'answered');
  leg.handleEvent(ev('pri.ringing', 4097));
  t.same(seen, ['progress ringing=true', 'early-media', 'answer undefined'], 'nothing after answer');
  const p = leg.hangup(16);
  t.equal(api.cmds.at(-1), 'hangup 4097 16');
  leg.handleEvent(ev('pri.hangup', 4097, { cause: 16, flags: 8 }));
  await p;
  t.equal(leg.state, 'ended');
  await t.rejects(leg.originate({ calling: '1', called: '2' }), ClosedError);
});

t.test('outbound: far-end causes end the leg remote; PROGRESS with in-band gives early media', async (t) => {
  for (const cause of [17, 1, 19, 34]) {
    const { h } = host();
    const leg = PriLeg.outbound({ id: 'o1', trunk: 'pbx', host: h });
    await leg.originate({ calling: '100', called: '200' });
    const early: number[] = [];
    leg.on('early-media', () => early.push(1));
    leg.handleEvent(ev('pri.progress', 4097, { progress: 0x08 }));
    t.equal(leg.state, 'early');
    const ended = new Promise<HangupInfo>((r) => leg.once('hangup', r));
    leg.handleEvent(ev('pri.hangup', 4097, { cause }));
    t.match(await ended, { cause, by: 'remote' }, `cause ${cause}`);
    t.same(early, [1]);
  }
});

t.test('outbound: span alarm clears the call with 38, RESTART with 41', async (t) => {
  for (const cause of [38, 41]) {
    const { h } = host();
    const leg = PriLeg.outbound({ id: 'o1', trunk: 'pbx', host: h });
    await leg.originate({ calling: '100', called: '200' });
    leg.handleEvent(ev('pri.answer', 4097));
    const ended = new Promise<HangupInfo>((r) => leg.once('hangup', r));
    leg.handleEvent(ev('pri.hangup', 4097, { cause, flags: 8 }));
    t.match(await ended, { cause, by: 'local' });
  }
});

t.test('outbound: no usable span or a refused SETUP rejects with a Q.850 cause', async (t) => {
  const down = host(undefined, () => { throw new SignalingError('every span of trunk pbx is down', { q850Cause: 38 }); });
  const leg = PriLeg.outbound({ id: 'o1', trunk: 'pbx', host: down.h });
  await t.rejects(leg.originate({ calling: '100', called: '200' }), { name: 'SignalingError', q850Cause: 38 });
  const ended = new Promise<HangupInfo>((r) => leg.once('hangup', r));
  await leg.hangup(38);
  t.match(await ended, { cause: 38, by: 'local' }, 'hangup before SETUP ends locally');

  const bad = host();
  bad.api.call = () => { throw new NativeError('sg_pri_call: bad argument', { errno: -1 }); };
  const leg2 = PriLeg.outbound({ id: 'o2', trunk: 'pbx', host: bad.h });
  await t.rejects(leg2.originate({ calling: '100', called: '200' }), { name: 'SignalingError', q850Cause: 28 });
});

t.test('unsupported requests are refused with cause 79, bad digits with 28', async (t) => {
  const { h } = host();
  const leg = PriLeg.inbound({ id: 'l1', trunk: 'pstn', host: h }, 6146, 'pstn1', info());
  await t.rejects(leg.hold(true), { name: 'SignalingError', q850Cause: 79 });
  await t.rejects(leg.updateMedia({ sdp: 'v=0' }), { name: 'SignalingError', q850Cause: 79 }, 'no RTP endpoint: nothing to update');
  await t.rejects(leg.sendDtmf('x', 100), { name: 'SignalingError', q850Cause: 28 });
});

t.test('a HANGUP that never comes ends the leg after the timeout', async (t) => {
  const { h } = host();
  const leg = PriLeg.inbound({ id: 'l1', trunk: 'pstn', host: h, hangupTimeoutMs: 20 }, 6146, 'pstn1', info());
  const ended = new Promise<HangupInfo>((r) => leg.once('hangup', r));
  await leg.hangup(16);
  t.same(await ended, { cause: 16, by: 'local', detail: 'no HANGUP from the PRI layer' });
});

function mediaHost(rejectToneMs: number) {
  const { h, api } = host();
  const tones: string[] = [];
  const tdm: TdmApi = {
    ensureEngine: () => undefined, create: () => 11, destroy: () => { tones.push('destroy'); }, bridge: () => undefined,
    unbridge: () => undefined, setRtp: () => undefined, tone: (_h, k) => { tones.push(`tone ${k}`); }, sendDtmf: () => undefined, stats: () => ({}) as TdmStatsValues,
  };
  const medias: PriMedia[] = [];
  h.openMedia = (_l, span, ch) => { const m = new PriMedia(tdm, span, ch, { echoTailMs: 0, tonePlan: 'de', rejectToneMs }); medias.push(m); return m; };
  h.closeMedia = (m) => m.release();
  return { h, api, tones, medias };
}

t.test('refusal tones: busy/congestion in-band with PROGRESS (PI 8 + cause) before the DISCONNECT', async (t) => {
  t.equal(refusalTone(17), 'busy');
  t.equal(refusalTone(34), 'congestion');
  t.equal(refusalTone(38), 'congestion');
  t.equal(refusalTone(1), undefined, 'unallocated: no tone');
  t.equal(refusalTone(16), undefined);

  // Busy: PROGRESS with cause 17, busy tone, then DISCONNECT 17 after rejectToneMs.
  const a = mediaHost(30);
  const leg = PriLeg.inbound({ id: 'r1', trunk: 'pstn', host: a.h }, 6146, 'pstn1', info());
  const done = leg.reject(17);
  t.same(a.api.cmds, ['progress 6146 cause 17'], 'PROGRESS with the cause first');
  t.same(a.tones, ['tone busy']);
  t.equal(leg.state, 'early', 'the caller listens to the tone');
  await new Promise((r) => setTimeout(r, 60));
  t.same(a.api.cmds, ['progress 6146 cause 17', 'hangup 6146 17'], 'DISCONNECT with the cause after rejectToneMs');
  leg.handleEvent(ev('pri.hangup', 6146, { cause: 17, flags: 8 }));
  await done;
  t.equal(leg.state, 'ended');

  // The caller hangs up while listening: the leg ends with the caller's cause, no DISCONNECT of ours.
  const b = mediaHost(60_000);
  const leg2 = PriLeg.inbound({ id: 'r2', trunk: 'pstn', host: b.h }, 6147, 'pstn1', info());
  const ended = new Promise<HangupInfo>((r) => leg2.once('hangup', r));
  const done2 = leg2.reject(34);
  t.same(b.tones, ['tone congestion']);
  leg2.handleEvent(ev('pri.hangup', 6147, { cause: 16 }));
  await done2;
  t.match(await ended, { cause: 16, by: 'remote' });
  t.same(b.api.cmds, ['progress 6147 cause 34'], 'the hold timer was cleared');

  // No tone: a cause without one, rejectToneMs 0, or early media came from the far side.
  for (const [ms, cause, early] of [[1000, 1, false], [0, 17, false], [1000, 17, true]] as const) {
    const c = mediaHost(ms);
    const l = PriLeg.inbound({ id: 'r3', trunk: 'pstn', host: c.h }, 6148, 'pstn1', info());
    if (early) await l.progress({ ringing: false }, {} as never);
    const p = l.reject(cause);
    t.ok(c.api.cmds.includes(`hangup 6148 ${cause}`), `cause ${cause}, rejectToneMs ${ms}, far early media ${early}: DISCONNECT at once`);
    t.notOk(c.tones.some((x) => x === 'tone busy'), 'no busy tone');
    l.handleEvent(ev('pri.hangup', 6148, { cause, flags: 8 }));
    await p;
  }

  // A bridged channel (PRI⇄PRI: the far PBX's own tones reached the caller) gets none either.
  const d = mediaHost(1000);
  const l4 = PriLeg.inbound({ id: 'r4', trunk: 'pstn', host: d.h }, 6149, 'pstn1', info());
  const other = d.h.openMedia!(l4, 2, 5)!;
  l4.media!.bridge(other);
  other.release();
  const p4 = l4.reject(17);
  t.ok(d.api.cmds.includes('hangup 6149 17'));
  l4.handleEvent(ev('pri.hangup', 6149, { cause: 17, flags: 8 }));
  await p4;
});

t.test('an outbound leg keeps the cause a PROGRESS carried', async (t) => {
  const { h } = host();
  const leg = PriLeg.outbound({ id: 'o9', trunk: 'pbx', host: h });
  await leg.originate({ calling: '1', called: '2' });
  const early = new Promise((r) => leg.once('early-media', r));
  leg.handleEvent(ev('pri.progress', 4097, { progress: 8, flags: 1, cause: 17 }));
  await early;
  t.equal(leg.progressCause, 17);
  t.equal(leg.state, 'early');
});

/** A host whose B-channels get RTP endpoints on a fake engine (PRI ⇄ SIP). */
function rtpHost() {
  const base = host();
  const eps: string[] = [];
  const cfgs: RtpEndpointConfig[] = [];
  const api = {
    createEndpoint: (c: RtpEndpointConfig) => { cfgs.push(c); eps.push('create'); return 11; },
    updateEndpoint: (_h: number, c: RtpEndpointConfig) => { cfgs.push(c); },
    destroyEndpoint: () => { eps.push('destroy'); },
    localPort: () => 40010,
    endpointStats: () => ({}) as RtpStats,
  };
  base.h.openRtp = () => new PriRtp(api, { address: '127.0.0.5', law: 'alaw' });
  base.h.closeRtp = (r) => { r.close(); };
  return { ...base, eps, cfgs };
}
const sipSdp = (port: number, extra = 'a=sendrecv\r\n'): string =>
  `v=0\r\no=r 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n${extra}`;

t.test('PRI → SIP: the anchored B-channel offers its endpoint; early media and answer set its far end', async (t) => {
  const { h, api, eps, cfgs } = rtpHost();
  const leg = PriLeg.inbound({ id: 'l1', trunk: 'pstn', host: h }, 6146, 'pstn1', info());
  t.equal(leg.remoteMedia, undefined, 'no endpoint until the call is anchored (PRI ⇄ PRI never is)');
  leg.anchorMedia();
  t.match(leg.remoteMedia?.sdp, /m=audio 40010 RTP\/AVP 8 0 101/);
  await leg.progress({ ringing: false, sipStatus: 183 }, { sdp: sipSdp(30000) });
  t.same(api.cmds, ['progress 6146'], 'SIP 183 with SDP: PROGRESS (in-band)');
  t.equal(leg.state, 'early');
  t.match(cfgs.at(-1), { remoteAddr: '127.0.0.9', remotePort: 30000, codec: 'PCMU' });
  await leg.progress({ ringing: true });
  t.same(api.cmds.at(-1), 'alerting 6146 true', 'a 180 after early media keeps in-band (no local ringback over it)');
  await leg.answer({ sdp: sipSdp(30002) });
  t.match(cfgs.at(-1), { remotePort: 30002 });
  const re = await leg.updateMedia({ sdp: sipSdp(30004, 'a=sendonly\r\n') });
  t.match(re.sdp, /a=recvonly/, 'a re-offer (hold) is answered by the endpoint');
  leg.handleEvent(ev('pri.hangup', 6146, { cause: 16 }));
  t.same(eps, ['create', 'destroy'], 'the endpoint goes with the leg');
});

t.test('SIP → PRI: the relay\'s offer is answered before SETUP; early media and CONNECT carry the answer', async (t) => {
  const { h, api, eps } = rtpHost();
  const leg = PriLeg.outbound({ id: 'o1', trunk: 'pbx', host: h });
  const early: (string | undefined)[] = [];
  leg.on('early-media', (m) => early.push(m.sdp));
  const answered = new Promise<string | undefined>((r) => leg.once('answer', (m) => r(m?.sdp)));
  await leg.originate({ calling: '+4930123', called: '+4930555', media: { sdp: sipSdp(31000) } });
  t.same(api.cmds, ['call 2']);
  leg.handleEvent(ev('pri.proceeding', 4097, { channel: 5 }));
  leg.handleEvent(ev('pri.progress', 4097, { channel: 5, progress: 8 }));
  t.equal(early.length, 1);
  t.match(early[0], /m=audio 40010 RTP\/AVP 0 101/, 'our answer: the offered law with telephone-event');
  leg.handleEvent(ev('pri.answer', 4097, { channel: 5 }));
  t.match(await answered, /m=audio 40010/);
  leg.handleEvent(ev('pri.hangup', 4097, { cause: 16 }));
  t.same(eps, ['create', 'destroy']);

  const g729 = rtpHost();
  const bad = PriLeg.outbound({ id: 'o2', trunk: 'pbx', host: g729.h });
  const offer = sipSdp(31000).replace('RTP/AVP 0 101', 'RTP/AVP 18').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000').replace('a=rtpmap:101 telephone-event/8000\r\n', '');
  await t.rejects(bad.originate({ calling: '1', called: '2', media: { sdp: offer } }), { name: 'SignalingError', q850Cause: 88 }, 'no G.711 offered: 88, no SETUP');
  t.same(g729.api.cmds, []);
  t.same(g729.eps, ['create', 'destroy']);
});
