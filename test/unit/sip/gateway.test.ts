// The gateway's INVITE path with a scripted srf and dispatcher: loop header 482, directory
// refusal (already answered), bad offer 488 + Warning, dispatcher refusals mapped per RFC 3398
// (503 + Retry-After only while draining), an admitted call handed over as an inbound SipLeg.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { SipGateway, type SrfServer } from '../../../src/sip/gateway.js';
import type { DispatchResult, LegProvider } from '../../../src/call/dispatcher.js';
import type { Leg } from '../../../src/call/leg.js';
import type { SrfInviteReq, SrfRes } from '../../../src/sip/srf-api.js';
import type { InboundVerdict, TrunkDirectory } from '../../../src/sip/trunk-directory.js';
import { resolveTrunk } from '../../../src/sip/trunk-profiles.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const tick = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };

class Res implements SrfRes {
  sent: { status: number; headers?: Record<string, string> }[] = [];
  get finalResponseSent(): boolean { return this.sent.some((s) => s.status >= 200); }
  send(status: number, a?: unknown, b?: unknown): void {
    const o = (typeof a === 'object' ? a : b) as { headers?: Record<string, string> } | undefined;
    this.sent.push({ status, ...(o?.headers ? { headers: o.headers } : {}) });
  }
}

function invite(headers: Record<string, string> = {}, body = SDP): SrfInviteReq {
  const h: Record<string, string> = { from: '<sip:100@pbx>;tag=1', to: '<sip:200@gw>', 'call-id': 'x1', 'content-type': 'application/sdp' };
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  return Object.assign(new EventEmitter(), {
    method: 'INVITE', uri: 'sip:200@gw', body, source_address: '192.0.2.9', source_port: '5060', protocol: 'udp', callId: 'x1',
    get: (n: string) => h[n.toLowerCase()], has: (n: string) => n.toLowerCase() in h,
  }) as unknown as SrfInviteReq;
}

function rig(o: { verdict?: InboundVerdict; result?: DispatchResult; accepting?: boolean } = {}) {
  let handler: ((req: SrfInviteReq, res: SrfRes) => void) | undefined;
  const srf = { invite: (fn: typeof handler) => { handler = fn; }, createUAS: async () => { throw new Error('x'); }, createUAC: async () => { throw new Error('x'); } } as unknown as SrfServer;
  const legs: Leg[] = [];
  const providers: LegProvider[] = [];
  const settings = resolveTrunk('pbx', {});
  const directory = {
    ids: () => ['pbx'], settings: () => settings, targets: async () => [], credentials: () => undefined, report: () => undefined, health: () => undefined,
    admit: async (_req: unknown, res: { send(s: number): void }) => {
      const v = o.verdict ?? { ok: true, trunk: 'pbx', settings };
      if (!v.ok) res.send(v.status);
      return v;
    },
  } as unknown as TrunkDirectory;
  const counts: string[] = [];
  const gw = new SipGateway({
    srf, directory, log: quiet, instanceId: 'me', ownSentBy: () => ['192.0.2.1:5060'], plan: () => ({ countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' }),
    dispatcher: {
      inbound: (leg: Leg) => { legs.push(leg); return o.result ?? { ok: true, call: { id: 'c1' } } as unknown as DispatchResult; },
      addProvider: (p: LegProvider) => { providers.push(p); },
      removeProvider: () => undefined,
    },
    accepting: () => o.accepting ?? true,
    retryAfterS: () => 7,
    invites: { inc: (l) => { counts.push(String(l?.result)); } },
  });
  const send = async (req: SrfInviteReq): Promise<Res> => { const res = new Res(); handler!(req, res); await tick(); return res; };
  return { gw, send, legs, providers, counts };
}

t.test('admitted INVITE becomes an inbound SIP leg for the dispatcher; the provider is registered', async (t) => {
  const r = rig();
  const res = await r.send(invite());
  t.same(res.sent, []);
  t.equal(r.legs.length, 1);
  t.match(r.legs[0], { kind: 'sip', direction: 'inbound', trunk: 'pbx', calling: '100', called: '200' });
  t.equal(r.providers[0]?.kind, 'sip');
  t.ok(r.providers[0]?.owns('pbx'));
  t.notOk(r.providers[0]?.owns('other'));
  t.same(r.counts, ['accepted']);
});

t.test('our own X-Spangate-Via: 482; refused by the directory: nothing more sent', async (t) => {
  const r = rig();
  const loop = await r.send(invite({ 'X-Spangate-Via': 'other, me' }));
  t.equal(loop.sent[0]?.status, 482);
  t.match(loop.sent[0]?.headers?.Reason ?? '', /cause=25/);
  const acl = rig({ verdict: { ok: false, status: 403, reason: 'acl' } });
  const res = await acl.send(invite());
  t.same(res.sent.map((s) => s.status), [403], 'only the directory\'s 403');
  t.equal(acl.legs.length, 0);
});

t.test('bad offer: 488 with Warning, no call; no offer (late offer) becomes a call', async (t) => {
  const r = rig();
  const bad = await r.send(invite({}, 'v=0\r\nnope\r\n'));
  t.equal(bad.sent[0]?.status, 488);
  t.match(bad.sent[0]?.headers?.Warning ?? '', /^399 spangate "SDP/);
  t.equal(r.legs.length, 0);
  await r.send(invite({}, ''));
  t.equal(r.legs.length, 1, 'an INVITE without SDP is handed to the dispatcher');
  t.equal(r.legs[0]?.remoteMedia, undefined);
  t.same(r.counts, ['bad-sdp', 'accepted']);
});

t.test('dispatcher refusals: 34 → 503, 41 while draining → 503 + Retry-After, 3 → 404', async (t) => {
  const busy = await rig({ result: { ok: false, cause: 34, reason: 'limit' } }).send(invite());
  t.same(busy.sent, [{ status: 503, headers: { Reason: 'Q.850;cause=34;text="No circuit/channel available"' } }]);
  const drain = await rig({ result: { ok: false, cause: 41, reason: 'draining' }, accepting: false }).send(invite());
  t.equal(drain.sent[0]?.status, 503);
  t.equal(drain.sent[0]?.headers?.['Retry-After'], '7');
  const failed = await rig({ result: { ok: false, cause: 41, reason: 'routing failed' } }).send(invite());
  t.equal(failed.sent[0]?.headers?.['Retry-After'], undefined, 'no Retry-After when not draining');
  const noRoute = await rig({ result: { ok: false, cause: 3, reason: 'no route' } }).send(invite());
  t.equal(noRoute.sent[0]?.status, 404);
});

t.test('our own Via sent-by in the chain: 482; Max-Forwards 0: 483; malformed: 400; otherwise the leg keeps the count', async (t) => {
  const r = rig();
  const looped = await r.send(invite({ Via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKa,SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKb' }));
  t.equal(looped.sent[0]?.status, 482);
  t.match(looped.sent[0]?.headers?.Warning ?? '', /our Via 192\.0\.2\.1:5060/);
  const zero = await r.send(invite({ 'Max-Forwards': '0' }));
  t.equal(zero.sent[0]?.status, 483);
  t.match(zero.sent[0]?.headers?.Reason ?? '', /cause=25/);
  const bad = await r.send(invite({ 'Max-Forwards': 'many' }));
  t.equal(bad.sent[0]?.status, 400);
  t.equal(r.legs.length, 0);
  await r.send(invite({ 'Max-Forwards': '12', Via: 'SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKc' }));
  t.equal(r.legs[0]?.maxForwards, 12, 'another port on our host is not us');
  t.same(r.counts, ['loop', 'too-many-hops', 'bad-request', 'accepted']);
});
