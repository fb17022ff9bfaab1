// SipLeg late offer against a scripted srf: inbound (200 with our offer, the answer from the
// ACK, errors for an ACK without or with a bad SDP) and outbound (INVITE without SDP and
// noAck, the 200's offer as the answer event, the ACK with our answer, and ACK refusing every
// stream then BYE when hung up first).
import t from 'tap';
import { EventEmitter } from 'node:events';
import { SipLeg } from '../../../src/sip/leg.js';
import type { SrfApi, SrfDialog, SrfInviteReq, SrfLateAnswer, SrfMessage, SrfRes, UacCallbacks, UacOptions } from '../../../src/sip/srf-api.js';
import { resolveTrunk } from '../../../src/sip/trunk-profiles.js';
import type { MediaDescription } from '../../../src/call/leg.js';
import { SignalingError } from '../../../src/errors.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const OFFER = SDP.replace('4000', '5000');
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const tick = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };

function msg(headers: Record<string, string>, body = ''): SrfMessage {
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { body, source_address: '192.0.2.9', source_port: 5060, protocol: 'udp', callId: 'cid', get: (n) => h[n.toLowerCase()], has: (n) => n.toLowerCase() in h };
}

class Res implements SrfRes {
  sent: number[] = [];
  get finalResponseSent(): boolean { return this.sent.some((s) => s >= 200); }
  send(status: number): void { this.sent.push(status); }
}

class Dialog extends EventEmitter {
  readonly id = 'd1';
  destroyed: Record<string, string> | undefined;
  constructor(readonly type: 'uac' | 'uas', readonly local: { sdp: string; uri: string }, readonly remote: { sdp: string; uri: string }) { super(); }
  async destroy(opts?: { headers?: Record<string, string> }): Promise<unknown> { this.destroyed = opts?.headers ?? {}; return undefined; }
  async modify(): Promise<string> { return SDP; }
  async request(): Promise<SrfMessage> { return msg({}); }
}

class FakeSrf implements SrfApi {
  uas: { localSdp: string; dialog: Dialog } | undefined;
  uac: { opts: UacOptions; resolve: (d: SrfDialog | SrfLateAnswer) => void } | undefined;
  acked: string[] = [];
  dialog: Dialog | undefined;
  async createUAS(_req: SrfInviteReq, res: SrfRes, opts: { localSdp: string }): Promise<SrfDialog> {
    res.send(200);
    const d = new Dialog('uas', { sdp: opts.localSdp, uri: '' }, { sdp: '', uri: '' });
    this.uas = { localSdp: opts.localSdp, dialog: d };
    return d as unknown as SrfDialog;
  }
  createUAC(_uri: string, opts: UacOptions, _cbs: UacCallbacks): Promise<SrfDialog | SrfLateAnswer> {
    return new Promise((resolve) => { this.uac = { opts, resolve }; });
  }
  answerLate(sdp: string): void {
    this.uac!.resolve({
      sdp, res: msg({}),
      ack: async (local: string) => { this.acked.push(local); this.dialog = new Dialog('uac', { sdp: local, uri: '' }, { sdp, uri: '' }); return this.dialog as unknown as SrfDialog; },
    });
  }
}

function inbound() {
  const srf = new FakeSrf();
  const req = Object.assign(new EventEmitter(), msg({ From: '<sip:100@pbx>;tag=1', To: '<sip:200@gw>', 'Call-ID': 'abc', 'Max-Forwards': '20' }, ''), { method: 'INVITE', uri: 'sip:200@gw' }) as unknown as SrfInviteReq;
  const res = new Res();
  const leg = SipLeg.inbound({ srf, req, res, trunk: 'pbx', settings: resolveTrunk('pbx', {}), log: quiet });
  return { srf, res, leg };
}

t.test('inbound late offer: 200 with our offer, the ACK\'s SDP is the answer', async (t) => {
  const r = inbound();
  t.equal(r.leg.remoteMedia, undefined, 'no offer in the INVITE');
  t.equal(r.leg.maxForwards, 20);
  const p = r.leg.answerWithOffer({ sdp: OFFER });
  await tick();
  t.equal(r.srf.uas?.localSdp, OFFER);
  t.equal(r.leg.state, 'answered');
  r.srf.uas!.dialog.emit('ack', msg({ 'Content-Type': 'application/sdp' }, SDP));
  const ans: MediaDescription = await p;
  t.equal(ans.sdp, SDP);
  t.equal(r.leg.remoteMedia?.sdp, SDP);
});

t.test('inbound late offer: ACK without SDP → 127, broken SDP → 88; the leg stays up for the call to end', async (t) => {
  for (const [body, cause] of [['', 127], ['v=0\r\nbroken\r\n', 88]] as const) {
    const r = inbound();
    const p = r.leg.answerWithOffer({ sdp: OFFER });
    await tick();
    r.srf.uas!.dialog.emit('ack', msg({ 'Content-Type': 'application/sdp' }, body));
    const e = await p.then(() => undefined, (x: unknown) => x);
    t.ok(e instanceof SignalingError);
    t.equal((e as SignalingError).q850Cause, cause);
    t.equal(r.leg.state, 'answered');
    await r.leg.hangup(cause);
    t.match(r.srf.uas!.dialog.destroyed, { Reason: new RegExp(`cause=${cause}`) }, 'BYE with the cause');
  }
});

t.test('inbound late offer: a BYE before the ACK rejects the wait', async (t) => {
  const r = inbound();
  const p = r.leg.answerWithOffer({ sdp: OFFER });
  await tick();
  r.srf.uas!.dialog.emit('destroy', msg({}));
  await t.rejects(p, /ended before its ACK/);
});

function outbound() {
  const srf = new FakeSrf();
  const directory = { targets: async () => [{ host: '192.0.2.20', port: 5060, transport: 'udp' as const, healthy: true }], credentials: () => undefined, report: () => undefined };
  const leg = SipLeg.outbound({
    srf, trunk: 'uc', settings: resolveTrunk('uc', {}), log: quiet, directory,
    plan: { countryCode: '1', nationalPrefix: '1', internationalPrefix: '011' },
    target: { trunk: 'uc', called: '+15552001234', calling: '+15551001234', reason: 'test' },
  });
  const answers: (MediaDescription | undefined)[] = [];
  leg.on('answer', (m) => answers.push(m));
  return { srf, leg, answers };
}

t.test('outbound late offer: INVITE without SDP (noAck), 200 offer → answer event, ACK with our answer', async (t) => {
  const r = outbound();
  await r.leg.originate({ calling: '+15551001234', called: '+15552001234', maxForwards: 9 });
  await tick();
  t.equal(r.srf.uac?.opts.localSdp, undefined);
  t.equal(r.srf.uac?.opts.noAck, true);
  t.equal(r.srf.uac?.opts.headers?.['Max-Forwards'], '9');
  r.srf.answerLate(OFFER);
  await tick();
  t.same(r.answers, [{ sdp: OFFER }]);
  await r.leg.confirmAnswer({ sdp: SDP });
  t.same(r.srf.acked, [SDP]);
  await r.leg.hangup(16);
  t.match(r.srf.dialog?.destroyed, { Reason: /cause=16/ });
});

t.test('outbound late offer hung up before the answer: ACK refusing every stream, then BYE', async (t) => {
  const r = outbound();
  await r.leg.originate({ calling: '+15551001234', called: '+15552001234' });
  await tick();
  r.srf.answerLate(OFFER);
  await tick();
  await r.leg.hangup(127);
  t.match(r.srf.acked[0], /m=audio 0 RTP\/AVP 0/);
  t.match(r.srf.dialog?.destroyed, { Reason: /cause=127/ });
  await t.rejects(r.leg.confirmAnswer({ sdp: SDP }), /no answered late offer/);
});
