// SipLeg against a scripted srf (the shapes of src/sip/srf-api.ts): UAS responses and CANCEL,
// UAC next-hop failover and failure causes, CANCEL on hangup before answer, and the dialog:
// BYE with Reason, re-INVITE → update / 488 / refresh, INFO DTMF, REFER by trunk policy.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { SipLeg } from '../../../src/sip/leg.js';
import type { SrfApi, SrfDialog, SrfInviteReq, SrfMessage, SrfRes, UacCallbacks, UacOptions } from '../../../src/sip/srf-api.js';
import type { SipTarget } from '../../../src/sip/trunk-directory.js';
import { resolveTrunk, type TrunkInput } from '../../../src/sip/trunk-profiles.js';
import { SipDialogIndex } from '../../../src/sip/dialog-index.js';
import type { HangupInfo, MediaUpdate, TransferRequest, DtmfEvent } from '../../../src/call/leg.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const SDP2 = SDP.replace('1 1 IN', '1 2 IN').replace('4000', '4002');
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const tick = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };

function msg(headers: Record<string, string>, body = '', extra: Partial<SrfMessage> = {}): SrfMessage {
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { body, source_address: '192.0.2.9', source_port: 5060, protocol: 'udp', callId: 'cid', get: (n) => h[n.toLowerCase()], has: (n) => n.toLowerCase() in h, ...extra };
}

class Res implements SrfRes {
  sent: { status: number; headers?: Record<string, string>; body?: string }[] = [];
  get finalResponseSent(): boolean { return this.sent.some((s) => s.status >= 200); }
  send(status: number, a?: unknown, b?: unknown, c?: unknown): void {
    const opts = (typeof a === 'object' ? a : b) as { headers?: Record<string, string>; body?: string } | undefined;
    this.sent.push({ status, ...(opts?.headers ? { headers: opts.headers } : {}), ...(opts?.body ? { body: opts.body } : {}) });
    const cb = [a, b, c].find((x) => typeof x === 'function') as ((e: unknown) => void) | undefined;
    cb?.(undefined);
  }
}

class Dialog extends EventEmitter {
  readonly id = 'd1';
  requests: { method: string; headers?: Record<string, string>; body?: string }[] = [];
  destroyed: Record<string, string> | undefined;
  modifyAnswer: string | Error = SDP2;
  constructor(readonly type: 'uac' | 'uas', readonly local: { sdp: string; uri: string }, readonly remote: { sdp: string; uri: string }) { super(); }
  async destroy(opts?: { headers?: Record<string, string> }): Promise<unknown> { this.destroyed = opts?.headers ?? {}; return undefined; }
  async modify(sdp: string): Promise<string> { this.requests.push({ method: 'INVITE', body: sdp }); if (this.modifyAnswer instanceof Error) throw this.modifyAnswer; return this.modifyAnswer; }
  async request(o: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfMessage> { this.requests.push(o); return msg({}); }
}

class SipError extends Error { constructor(readonly status: number, readonly reason: string, readonly res?: SrfMessage) { super(`${status} ${reason}`); } }

class FakeSrf implements SrfApi {
  dialogs: Dialog[] = [];
  uac: { uri: string; opts: UacOptions; cbs: UacCallbacks; resolve: (d: SrfDialog) => void; reject: (e: unknown) => void; cancelled?: Record<string, string> }[] = [];
  async createUAS(_req: SrfInviteReq, res: SrfRes, opts: { localSdp: string }): Promise<SrfDialog> {
    res.send(200, { body: opts.localSdp });
    const d = new Dialog('uas', { sdp: opts.localSdp, uri: '' }, { sdp: SDP, uri: '' });
    this.dialogs.push(d);
    return d as unknown as SrfDialog;
  }
  createUAC(uri: string, opts: UacOptions, cbs: UacCallbacks): Promise<SrfDialog> {
    return new Promise((resolve, reject) => {
      const entry: FakeSrf['uac'][number] = { uri, opts, cbs, resolve, reject };
      this.uac.push(entry);
      cbs.cbRequest?.(null, { cancel: (o) => { entry.cancelled = o?.headers ?? {}; } });
    });
  }
  answerUac(i: number, sdp = SDP2): Dialog {
    const d = new Dialog('uac', { sdp: '', uri: '' }, { sdp, uri: '' });
    this.dialogs.push(d);
    this.uac[i]!.resolve(d as unknown as SrfDialog);
    return d;
  }
}

function inbound(opts: { headers?: Record<string, string>; trunk?: TrunkInput } = {}) {
  const srf = new FakeSrf();
  const req = Object.assign(new EventEmitter(), msg({ From: '<sip:+4930555100@pbx>;tag=1', To: '<sip:+4930555200@gw>', 'Call-ID': 'abc', ...opts.headers }, SDP), { method: 'INVITE', uri: 'sip:+4930555200@gw' }) as unknown as SrfInviteReq & EventEmitter;
  const res = new Res();
  const leg = SipLeg.inbound({ srf, req, res, trunk: 'pbx', settings: resolveTrunk('pbx', opts.trunk ?? {}), log: quiet });
  const ended: HangupInfo[] = [];
  leg.on('hangup', (i) => ended.push(i));
  return { srf, req, res, leg, ended };
}

t.test('inbound: numbers, 180/183 with 100rel when required, answer, BYE with Reason', async (t) => {
  const r = inbound({ headers: { Require: '100rel' } });
  t.equal(r.leg.calling, '+4930555100');
  t.equal(r.leg.called, '+4930555200');
  t.equal(r.leg.remoteMedia?.sdp, SDP);
  await r.leg.progress({ ringing: true });
  await r.leg.progress({ ringing: false }, { sdp: SDP2 });
  t.same(r.res.sent.map((s) => [s.status, s.headers?.Require, s.body]), [[180, '100rel', undefined], [183, '100rel', SDP2]]);
  await r.leg.answer();
  t.equal(r.res.sent.at(-1)?.body, SDP2, 'the 200 repeats the early SDP');
  t.equal(r.leg.state, 'answered');
  r.srf.dialogs[0]!.emit('destroy', msg({ Reason: 'Q.850;cause=17;text="busy"' }));
  t.same(r.ended, [{ cause: 17, by: 'remote', detail: 'BYE' }]);
});

t.test('inbound: reject with status and Reason; CANCEL ends the leg with cause 16 (or its Reason)', async (t) => {
  const r = inbound();
  await r.leg.reject(17);
  t.same(r.res.sent, [{ status: 486, headers: { Reason: 'Q.850;cause=17;text="User busy"' } }]);
  t.same(r.ended, [{ cause: 17, sipStatus: 486, by: 'local' }]);
  const c = inbound();
  c.req.emit('cancel', msg({}));
  t.same(c.ended, [{ cause: 16, sipStatus: 487, by: 'remote', detail: 'CANCEL' }]);
  const c2 = inbound();
  c2.req.emit('cancel', msg({ Reason: 'Q.850;cause=19' }));
  t.equal(c2.ended[0]?.cause, 19);
  const h = inbound();
  await h.leg.hangup(34);
  t.equal(h.res.sent[0]?.status, 503, 'hangup before answer rejects with the mapped status');
});

t.test('dialog: re-INVITE → update (accept / reject), bad SDP 488 + Warning, refresh answered locally', async (t) => {
  const r = inbound();
  await r.leg.answer({ sdp: SDP2 });
  const d = r.srf.dialogs[0]!;
  const updates: MediaUpdate[] = [];
  r.leg.on('update', (u) => updates.push(u));
  const res1 = new Res();
  d.emit('modify', msg({}, SDP), res1);
  t.same(res1.sent.map((s) => s.status), [200], 'same o= version: session refresh');
  t.equal(updates.length, 0);
  const res2 = new Res();
  const newOffer = SDP.replace('1 1 IN', '1 5 IN');
  d.emit('modify', msg({}, newOffer), res2);
  t.equal(updates.length, 1);
  updates[0]!.accept({ sdp: 'answer-sdp' });
  t.same(res2.sent, [{ status: 200, headers: { 'Content-Type': 'application/sdp' }, body: 'answer-sdp' }]);
  t.equal(r.leg.remoteMedia?.sdp, newOffer);
  const res3 = new Res();
  d.emit('update', msg({}, SDP.replace('1 1 IN', '1 6 IN')), res3);
  updates[1]!.reject(65);
  t.equal(res3.sent[0]?.status, 488);
  t.match(res3.sent[0]?.headers?.Reason ?? '', /cause=65/);
  const res4 = new Res();
  d.emit('modify', msg({}, 'v=0\r\ngarbage\r\n'), res4);
  t.equal(res4.sent[0]?.status, 488);
  t.match(res4.sent[0]?.headers?.Warning ?? '', /^399 spangate "SDP/);
});

t.test('dialog: INFO DTMF in and out, other INFO bodies 415; hold sends sendonly', async (t) => {
  const r = inbound({ trunk: { dtmf: 'info' } });
  await r.leg.answer({ sdp: SDP2 });
  const d = r.srf.dialogs[0]!;
  const digits: DtmfEvent[] = [];
  r.leg.on('dtmf', (e) => digits.push(e));
  const a = new Res();
  d.emit('info', msg({ 'Content-Type': 'application/dtmf-relay' }, 'Signal=5\r\nDuration=160\r\n'), a);
  const b = new Res();
  d.emit('info', msg({ 'Content-Type': 'application/xml' }, '<x/>'), b);
  const c = new Res();
  d.emit('info', msg({}), c);
  t.same([a, b, c].map((x) => x.sent[0]?.status), [200, 415, 200]);
  t.same(digits, [{ digit: '5', durationMs: 160, source: 'info' }]);
  await r.leg.sendDtmf('#', 100);
  t.same(d.requests.at(-1), { method: 'INFO', headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=#\r\nDuration=100\r\n' });
  // Digits sent together go out one INFO transaction after the other, in order.
  const n = d.requests.length;
  await Promise.all([r.leg.sendDtmf('1', 80), r.leg.sendDtmf('2', 80), r.leg.sendDtmf('3', 80)]);
  t.same(d.requests.slice(n).map((q) => q.body), ['Signal=1\r\nDuration=80\r\n', 'Signal=2\r\nDuration=80\r\n', 'Signal=3\r\nDuration=80\r\n']);
  await r.leg.hold(true);
  t.match(d.requests.at(-1)?.body ?? '', /a=sendonly/);
  t.equal(r.leg.remoteMedia?.sdp, SDP2);
  d.modifyAnswer = new SipError(488, 'Not Acceptable Here');
  await t.rejects(r.leg.hold(false), { code: 'ESIGNALING', sipStatus: 488, q850Cause: 65 });
});

t.test('dialog: INFO DTMF out as application/dtmf when the trunk says so', async (t) => {
  const r = inbound({ trunk: { dtmf: 'info', dtmfInfoType: 'dtmf' } });
  await r.leg.answer({ sdp: SDP2 });
  const d = r.srf.dialogs[0]!;
  await r.leg.sendDtmf('9', 100);
  t.same(d.requests.at(-1), { method: 'INFO', headers: { 'Content-Type': 'application/dtmf' }, body: '9\r\n' });
});

t.test('dialog: REFER by policy (reject 603, local 202 + NOTIFY + transfer event, bad Refer-To 400)', async (t) => {
  const rej = inbound();
  await rej.leg.answer({ sdp: SDP2 });
  const r1 = new Res();
  rej.srf.dialogs[0]!.emit('refer', msg({ 'Refer-To': '<sip:300@x>' }), r1);
  t.equal(r1.sent[0]?.status, 603);
  const loc = inbound({ trunk: { refer: 'local' } });
  await loc.leg.answer({ sdp: SDP2 });
  const d = loc.srf.dialogs[0]!;
  const transfers: TransferRequest[] = [];
  loc.leg.on('transfer', (x) => transfers.push(x));
  const r2 = new Res();
  d.emit('refer', msg({ 'Refer-To': '<sip:+4930555300@teams;user=phone>' }), r2);
  t.equal(r2.sent[0]?.status, 202);
  t.equal(transfers[0]?.target, '+4930555300');
  transfers[0]!.notify(200, 'OK');
  transfers[0]!.notify(486, 'late');
  t.same(d.requests.map((x) => [x.method, x.headers?.['Subscription-State'], x.body]), [
    ['NOTIFY', 'active;expires=60', 'SIP/2.0 100 Trying\r\n'],
    ['NOTIFY', 'terminated;reason=noresource', 'SIP/2.0 200 OK\r\n'],
  ], 'one NOTIFY per state, nothing after the final one');
  const r3 = new Res();
  d.emit('refer', msg({ 'Refer-To': '<sip:alice@x>' }), r3);
  t.equal(r3.sent[0]?.status, 400);
});

t.test('dialog: REFER with Replaces (attended): ours joined locally, elsewhere passed on, unusable ones NOTIFY 481/603', async (t) => {
  const dialogs = new SipDialogIndex();
  /** An answered inbound leg whose dialog has Call-ID `cid`, our tag gw-<cid>, theirs 1. */
  const answeredLeg = async (cid: string) => {
    const srf = new FakeSrf();
    const inner = srf.createUAS.bind(srf);
    srf.createUAS = async (req, res, o) => Object.assign(await inner(req, res, o), { sip: { callId: cid, localTag: `gw-${cid}`, remoteTag: '1' } });
    const req = Object.assign(new EventEmitter(), msg({ From: '<sip:+4930555100@uc>;tag=1', To: '<sip:+4930555200@gw>', 'Call-ID': cid }, SDP), { method: 'INVITE', uri: 'sip:+4930555200@gw' }) as unknown as SrfInviteReq & EventEmitter;
    const leg = SipLeg.inbound({ srf, req, res: new Res(), trunk: 'uc', settings: resolveTrunk('uc', { refer: 'local' }), log: quiet, dialogs });
    await leg.answer({ sdp: SDP2 });
    return { leg, d: srf.dialogs[0]! };
  };
  const x = await answeredLeg('x-cid');
  const r = await answeredLeg('r-cid');
  t.equal(dialogs.size, 2);
  const transfers: TransferRequest[] = [];
  x.leg.on('transfer', (tr) => transfers.push(tr));
  const refer = (referTo: string): Res => {
    const res = new Res();
    x.d.emit('refer', msg({ 'Refer-To': referTo, 'Referred-By': '<sip:uc@x>' }), res);
    return res;
  };
  t.equal(refer('<sip:+4930555300@gw?Replaces=r-cid%3Bto-tag%3Dgw-r-cid%3Bfrom-tag%3D1>').sent[0]?.status, 202);
  t.equal(transfers[0]?.replaces?.kind, 'local');
  t.equal(transfers[0]?.replaces?.kind === 'local' && transfers[0].replaces.leg, r.leg, 'the leg holding the named dialog');
  t.equal(transfers[0]?.referredBy, '<sip:uc@x>');
  refer('<sip:+4930555300@gw?Replaces=else%40where%3Bto-tag%3Da%3Bfrom-tag%3Db>');
  t.same(transfers[1]?.replaces, { kind: 'remote', header: 'else@where;to-tag=a;from-tag=b' }, 'a dialog nobody here holds: sent on');
  const before = x.d.requests.length;
  t.equal(refer('<sip:300@gw?Replaces=r-cid%3Bto-tag%3D1%3Bfrom-tag%3Dgw-r-cid>').sent[0]?.status, 202);
  t.equal(transfers.length, 2, 'tags the wrong way round: no transfer');
  t.same(x.d.requests.slice(before).map((q) => [q.headers?.['Subscription-State'], q.body]), [
    ['active;expires=60', 'SIP/2.0 100 Trying\r\n'], ['terminated;reason=noresource', 'SIP/2.0 481 Call Does Not Exist\r\n'],
  ]);
  await r.leg.hangup(16);
  refer('<sip:300@gw?Replaces=r-cid%3Bto-tag%3Dgw-r-cid%3Bfrom-tag%3D1>');
  t.equal(x.d.requests.at(-1)?.body, 'SIP/2.0 603 Declined\r\n', 'an ended dialog: 603');
  t.equal(refer('<sip:300@gw?Replaces=r-cid%3Bto-tag%3D1>').sent[0]?.status, 400, 'a Replaces without from-tag: 400');
  await x.leg.hangup(16);
  t.equal(dialogs.size, 0, 'ended legs leave the index');
});

const targets: SipTarget[] = [
  { host: '192.0.2.10', port: 5060, transport: 'udp', healthy: true },
  { host: '192.0.2.11', port: 5060, transport: 'udp', healthy: true },
];

function outbound(trunk: TrunkInput = {}) {
  const srf = new FakeSrf();
  const reports: string[] = [];
  const directory = {
    targets: async () => targets,
    credentials: () => ({ username: 'u', password: 'p' }),
    report: (_t: string, tg: SipTarget, o: string) => { reports.push(`${tg.host} ${o}`); },
  };
  const leg = SipLeg.outbound({
    srf, trunk: 'carrier', settings: resolveTrunk('carrier', trunk), log: quiet, directory,
    plan: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
    target: { trunk: 'carrier', called: '+4930555200', calling: '+4930555100', reason: 'test' },
  });
  const events: string[] = [];
  leg.on('progress', (p) => events.push(`progress ${p.sipStatus}`));
  leg.on('early-media', () => events.push('early'));
  leg.on('answer', (m) => events.push(`answer ${m?.sdp === SDP2}`));
  leg.on('hangup', (h) => events.push(`hangup ${h.cause} ${h.sipStatus ?? '-'} ${h.by}`));
  return { srf, leg, reports, events };
}

t.test('outbound: 503 fails over to the next hop, then 180/183/200', async (t) => {
  const o = outbound({ numberFormat: 'national' });
  await o.leg.originate({ calling: '+4930555100', called: '+4930555200', media: { sdp: SDP } });
  t.equal(o.leg.called, '030555200');
  await tick();
  t.equal(o.srf.uac[0]?.uri, 'sip:030555200@192.0.2.10:5060');
  t.same(o.srf.uac[0]?.opts.auth, { username: 'u', password: 'p' });
  t.equal(o.srf.uac[0]?.opts.localSdp, SDP);
  o.srf.uac[0]!.reject(new SipError(503, 'Service Unavailable'));
  await tick();
  t.equal(o.srf.uac[1]?.uri, 'sip:030555200@192.0.2.11:5060');
  o.srf.uac[1]!.cbs.cbProvisional?.(Object.assign(msg({}), { status: 180 }));
  o.srf.uac[1]!.cbs.cbProvisional?.(Object.assign(msg({}, SDP2), { status: 183 }));
  o.srf.uac[1]!.cbs.cbProvisional?.(Object.assign(msg({}, SDP2), { status: 183 }));
  o.srf.answerUac(1);
  await tick();
  t.same(o.events, ['progress 180', 'early', 'answer true']);
  t.same(o.reports, ['192.0.2.10 overloaded', '192.0.2.11 ok']);
  t.equal(o.leg.state, 'answered');
  await o.leg.hangup(16);
  t.match(o.srf.dialogs[0]!.destroyed?.Reason ?? '', /cause=16/);
});

t.test('outbound: a 100 then 503 still fails over; a 503 from the last hop ends the leg with cause 41', async (t) => {
  const o = outbound();
  await o.leg.originate({ calling: '1', called: '2', media: { sdp: SDP } });
  await tick();
  o.srf.uac[0]!.cbs.cbProvisional?.(Object.assign(msg({}), { status: 100 }));
  o.srf.uac[0]!.reject(new SipError(503, 'Service Unavailable'));
  await tick();
  t.equal(o.srf.uac.length, 2, 'next hop tried');
  o.srf.uac[1]!.cbs.cbProvisional?.(Object.assign(msg({}), { status: 180 }));
  o.srf.uac[1]!.reject(new SipError(503, 'Service Unavailable'));
  await tick();
  t.same(o.events, ['progress 180', 'hangup 41 503 remote']);
});

t.test('outbound: 486 does not fail over; cause from Reason when present; all hops time out → 102', async (t) => {
  const o = outbound();
  await o.leg.originate({ calling: '1', called: '2', media: { sdp: SDP } });
  await tick();
  o.srf.uac[0]!.reject(new SipError(486, 'Busy Here'));
  await tick();
  t.equal(o.srf.uac.length, 1);
  t.same(o.events, ['hangup 17 486 remote']);
  const r = outbound();
  await r.leg.originate({ calling: '1', called: '2', media: { sdp: SDP } });
  await tick();
  r.srf.uac[0]!.reject(new SipError(480, 'Unavailable', msg({ Reason: 'Q.850;cause=19' })));
  await tick();
  t.same(r.events, ['hangup 19 480 remote']);
  const to = outbound();
  await to.leg.originate({ calling: '1', called: '2', media: { sdp: SDP } });
  await tick();
  to.srf.uac[0]!.reject(new SipError(408, 'Request Timeout'));
  await tick();
  to.srf.uac[1]!.reject(new SipError(408, 'Request Timeout'));
  await tick();
  t.same(to.events, ['hangup 102 408 remote']);
  t.same(to.reports, ['192.0.2.10 timeout', '192.0.2.11 timeout']);
});

t.test('outbound: hangup before answer CANCELs with Reason; a 200 that crosses it gets BYE', async (t) => {
  const o = outbound();
  await o.leg.originate({ calling: '1', called: '2', media: { sdp: SDP } });
  await tick();
  await o.leg.hangup(19);
  t.match(o.srf.uac[0]!.cancelled?.Reason ?? '', /cause=19/);
  t.same(o.events, ['hangup 19 - local']);
  const d = o.srf.answerUac(0);
  await tick();
  t.ok(d.destroyed, 'late 200 answered with BYE');
  t.same(o.events, ['hangup 19 - local'], 'no answer event after hangup');
});

t.test('outbound: INVITE with Replaces carries Require: replaces and Referred-By', async (t) => {
  const o = outbound();
  await o.leg.originate({ calling: '+4930555100', called: '+4930555200', media: { sdp: SDP }, replaces: 'abc@h;to-tag=1;from-tag=2', referredBy: '<sip:uc@x>' });
  await new Promise((r) => setImmediate(r));
  t.match(o.srf.uac[0]?.opts.headers, { Replaces: 'abc@h;to-tag=1;from-tag=2', Require: 'replaces', 'Referred-By': '<sip:uc@x>' });
});
