// Digest authentication end to end through the daemon, both ways on one PBX trunk: the gateway
// challenges the PBX's INVITEs (inboundAuthRealm, account pbx-in) and answers the PBX's own
// challenges with another account (authUsername spangate-out). Inbound: INVITE → 401 → retry
// with credentials (sipp [authentication]) → the call connects with RTP both ways; a wrong
// password gets 403 and is counted. Outbound: the PBX (uas-auth.xml) answers our INVITE with
// 401 and a nonce, checks the Authorization of the retry (sipp verifyauth) and answers 200;
// with a password it does not accept it refuses and the caller gets 403. As a proxy would, it
// challenges with 407 + qop=auth (uas-auth-proxy.xml): sipp cannot verify Proxy-Authorization,
// so the test checks that digest (RFC 2617 MD5, qop=auth) against the configured password.
import { createHash } from 'node:crypto';
import t from 'tap';
import { answeredCall, failingCall, startSipp, PBX_NUMBER, sippText, twoTrunkGateway, UC_NUMBER } from './support/calls.js';
import { PORTS } from './support/gateway.js';
import { metric, waitCdrs } from './support/records.js';

const PBX_TRUNK = {
  inboundAuthRealm: 'spangate.test', inboundAuthUsername: 'pbx-in', inboundAuthPassword: 'in-s3cret',
  authUsername: 'spangate-out', authPassword: 'out-s3cret',
};

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Parses `Digest k=v, k="v", …`. */
function digestParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return out;
}

/** uas-auth.xml expecting these credentials in realm pbx.test. */
const expecting = (user: string, password: string): [string, string][] => [
  ['AUTH_REALM', 'pbx.test'], ['AUTH_USER', user], ['AUTH_PASSWORD', password],
];

t.test('digest auth both ways through the daemon', async (t) => {
  const gw = await twoTrunkGateway(t, 22, { pbx: { extra: PBX_TRUNK } });

  await t.test('inbound: 401, retry with credentials, call connects with RTP', async (t) => {
    const r = await answeredCall(t, gw, {
      direction: 'pbx-to-uc', uac: 'uac-call-auth.xml',
      caller: { extra: ['-au', 'pbx-in', '-ap', 'in-s3cret'] },
    });
    t.equal(r.caller.code, 0, `caller: ${sippText(r.caller)}`);
    t.equal(r.callee.code, 0, `callee: ${sippText(r.callee)}`);
    t.notOk(r.callerSipp.events.some((e) => e.kind === 'final'), 'no refusal after the challenge');
    t.ok(r.calleeRtp.count(0) >= 50, `UC side received ${r.calleeRtp.count(0)} packets`);
    t.ok(r.callerRtp.count(0) >= 50, `PBX side received ${r.callerRtp.count(0)} packets`);
    const [cdr] = await waitCdrs(gw.cdrFile, 1);
    t.equal(cdr!.disposition, 'answered');
    t.equal(cdr!.a.trunk, 'pbx');
    t.equal(await metric(gw.metricsUrl, 'spangate_sip_invites_total', { result: 'refused-401' }), 1, 'the first INVITE was challenged');
  });

  await t.test('inbound: wrong password gets 403, counted, nothing routed', async (t) => {
    const caller = await startSipp(t, {
      scenario: 'uac-call-auth.xml', ip: gw.addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER,
      keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: '23998' }, extra: ['-au', 'pbx-in', '-ap', 'wrong'],
    });
    const r = await caller.done;
    const final = caller.events.find((e) => e.kind === 'final');
    t.equal(final?.kind === 'final' ? final.status : 0, 403, `403 (${sippText(r)})`);
    t.equal(r.code, 0);
    t.equal(await metric(gw.metricsUrl, 'spangate_sip_auth_failures_total', { trunk: 'pbx' }), 1, 'spangate_sip_auth_failures_total{trunk="pbx"} 1');
    t.equal(await metric(gw.metricsUrl, 'spangate_sip_invites_total', { result: 'refused-403' }), 1);
  });

  await t.test('outbound: the PBX challenges with 401, our retry carries valid credentials, call connects', async (t) => {
    const r = await answeredCall(t, gw, {
      direction: 'uc-to-pbx', uas: 'uas-auth.xml',
      callee: { replace: expecting('spangate-out', 'out-s3cret') },
    });
    t.equal(r.caller.code, 0, `caller: ${sippText(r.caller)}`);
    t.equal(r.callee.code, 0, `callee: ${sippText(r.callee)}`);
    t.same(r.calleeSipp.events.filter((e) => e.kind === 'auth').map((e) => e.kind === 'auth' && e.result), ['ok'], 'Proxy-Authorization verified by the PBX');
    t.ok(r.calleeRtp.count(0) >= 50, `PBX side received ${r.calleeRtp.count(0)} packets`);
    t.ok(r.callerRtp.count(0) >= 50, `UC side received ${r.callerRtp.count(0)} packets`);
    const rows = await waitCdrs(gw.cdrFile, 2);
    const cdr = rows.find((c) => c.a.trunk === 'uc');
    t.equal(cdr?.disposition, 'answered');
    t.equal(cdr?.b?.trunk, 'pbx');
  });

  await t.test('outbound: credentials the PBX does not accept: it refuses with 403, so does the gateway', async (t) => {
    const callee = await startSipp(t, {
      scenario: 'uas-auth.xml', ip: gw.addr.pbx, port: PORTS.uas, calls: 1, replace: expecting('spangate-out', 'not-what-we-have'),
    });
    const { status, result } = await failingCall(t, gw, { from: 'uc', called: PBX_NUMBER, keys: { calling: UC_NUMBER } });
    t.equal(status, 403, `caller got 403 (${sippText(result)})`);
    const re = await callee.done;
    t.equal(re.code, 0, `callee: ${sippText(re)}`);
    t.same(callee.events.filter((e) => e.kind === 'auth').map((e) => e.kind === 'auth' && e.result), ['bad'], 'the PBX saw credentials and refused them');
    const rows = await waitCdrs(gw.cdrFile, 3);
    t.equal(rows[0]?.disposition, 'rejected');
  });

  await t.test('outbound: a 407 with qop=auth is answered with a valid Proxy-Authorization, call connects', async (t) => {
    const r = await answeredCall(t, gw, {
      direction: 'uc-to-pbx', uas: 'uas-auth-proxy.xml', callee: { replace: [['AUTH_REALM', 'proxy.pbx.test']] },
    });
    t.equal(r.caller.code, 0, `caller: ${sippText(r.caller)}`);
    t.equal(r.callee.code, 0, `callee: ${sippText(r.callee)}`);
    const authz = r.calleeSipp.events.find((e) => e.kind === 'authz');
    const p = digestParams(authz?.kind === 'authz' ? authz.header : '');
    t.equal(p.username, 'spangate-out');
    t.equal(p.realm, 'proxy.pbx.test');
    t.match(p.nonce, /f00d.*beef$/, 'the nonce of the challenge');
    t.equal(p.qop, 'auth');
    t.ok(p.cnonce && /^[0-9a-f]{8}$/i.test(p.nc ?? ''), `cnonce and nc present (${p.cnonce}, ${p.nc})`);
    const ha1 = md5(`spangate-out:proxy.pbx.test:out-s3cret`);
    const ha2 = md5(`INVITE:${p.uri}`);
    t.equal(p.response, md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`), 'response computed with the configured password');
    t.ok(r.calleeRtp.count(0) >= 50, `PBX side received ${r.calleeRtp.count(0)} packets`);
    t.ok(r.callerRtp.count(0) >= 50, `UC side received ${r.callerRtp.count(0)} packets`);
  });
});
