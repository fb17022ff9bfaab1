// srf.proxyRequest through the edge: Record-Route added, a 302 from the first target followed
// to its Contact (followRedirects), the 200 relayed upstream without our Via, and the app told
// about each final response.
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { SDP, disconnect, header, rawPeer, request, srfApp, waitRouted, status, type RawPeer } from '../unit/sip/edge/ua/sip-edge-peer.js';

interface ProxyResult { finalStatus: number; responses: Array<{ msgs: Array<{ status: number }> }> }
type ProxyReq = (req: unknown, dest: string[], opts: object) => Promise<ProxyResult>;

function answer(peer: RawPeer, req: string, code: string, extra: string[], to: { address: string; port: number }): void {
  const vias = req.split('\r\n').filter((l) => /^Via:/i.test(l));
  peer.send(['SIP/2.0 ' + code, ...vias, `From: ${header(req, 'From')}`, `To: ${header(req, 'To')};tag=${peer.port}`, `Call-ID: ${header(req, 'Call-ID')}`,
    `CSeq: ${header(req, 'CSeq')}`, ...extra, 'Content-Length: 0', '', ''].join('\r\n'), to.port, to.address);
}

t.test('proxy with Record-Route follows a 302 and relays the 200', async (t) => {
  const edge = new SipEdge({ sip: [{ proto: 'udp', host: '127.0.2.195', port: 0 }], control: { host: '127.0.0.1', port: 0, secret: 'px' } });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const us = { address: '127.0.2.195', port: addr.sip[0].port };
  const caller = await rawPeer('127.0.2.196');
  const redirector = await rawPeer('127.0.2.197');
  const callee = await rawPeer('127.0.2.198');
  t.teardown(() => [caller, redirector, callee].forEach((p) => p.close()));
  let result: ProxyResult | undefined;
  const srf = await srfApp(addr.controlPort, 'px', (s) => {
    const proxyRequest = (s as unknown as { proxyRequest: ProxyReq }).proxyRequest.bind(s);
    (s as unknown as { invite(fn: (req: unknown) => void): void }).invite((req) => {
      void proxyRequest(req, [`sip:r@127.0.2.197:${redirector.port}`], { recordRoute: true, followRedirects: true }).then((r) => (result = r));
    });
  });
  t.teardown(() => disconnect(srf));
  await waitRouted(edge, ['invite']);

  caller.send(request('INVITE', caller, us, 'px-call', { body: SDP }), us.port, us.address);
  const atRedirector = await redirector.expect((m) => m.startsWith('INVITE '), 'INVITE at the redirector');
  t.match(header(atRedirector, 'Record-Route') ?? '', new RegExp(`<sip:127\\.0\\.2\\.195:${us.port};lr>`));
  answer(redirector, atRedirector, '302 Moved Temporarily', [`Contact: <sip:c@127.0.2.198:${callee.port}>`], us);
  await redirector.expect((m) => m.startsWith('ACK '), 'hop-by-hop ACK for the 302');
  const atCallee = await callee.expect((m) => m.startsWith('INVITE '), 'INVITE at the redirect target');
  answer(callee, atCallee, '200 OK', [`Contact: <sip:c@127.0.2.198:${callee.port}>`, `Record-Route: ${header(atCallee, 'Record-Route')}`], us);
  const ok = await caller.expect((m) => m.includes('px-call') && status(m) === 200, '200 at the caller');
  t.equal(ok.split('\r\n').filter((l) => /^Via:/i.test(l)).length, 1, 'our Via removed');
  const deadline = Date.now() + 5000;
  while (!result && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(result?.finalStatus, 200, 'srf proxyRequest resolves with the 200');
  t.same(result?.responses.flatMap((r) => r.msgs.map((m) => m.status)), [302, 200], 'the app saw both finals');
});

t.test('a retry with credentials is pinned to the target that challenged', async (t) => {
  const edge = new SipEdge({ sip: [{ proto: 'udp', host: '127.0.2.205', port: 0 }], control: { host: '127.0.0.1', port: 0, secret: 'px' } });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const us = { address: '127.0.2.205', port: addr.sip[0].port };
  const caller = await rawPeer('127.0.2.206');
  const challenger = await rawPeer('127.0.2.207');
  const busy = await rawPeer('127.0.2.208');
  t.teardown(() => [caller, challenger, busy].forEach((p) => p.close()));
  const srf = await srfApp(addr.controlPort, 'px', (s) => {
    const proxyRequest = (s as unknown as { proxyRequest: ProxyReq }).proxyRequest.bind(s);
    (s as unknown as { invite(fn: (req: unknown) => void): void }).invite((req) => {
      void proxyRequest(req, [`sip:a@127.0.2.207:${challenger.port}`, `sip:b@127.0.2.208:${busy.port}`], { forking: 'simultaneous' }).catch(() => undefined);
    });
  });
  t.teardown(() => disconnect(srf));
  await waitRouted(edge, ['invite']);

  caller.send(request('INVITE', caller, us, 'px-auth', { body: SDP }), us.port, us.address);
  const a1 = await challenger.expect((m) => m.startsWith('INVITE '), 'INVITE 1 at the challenger');
  const b1 = await busy.expect((m) => m.startsWith('INVITE '), 'INVITE 1 at the busy target');
  answer(busy, b1, '486 Busy Here', [], us);
  answer(challenger, a1, '407 Proxy Authentication Required', ['Proxy-Authenticate: Digest realm="x", nonce="n"'], us);
  const challenge = await caller.expect((m) => m.includes('px-auth') && status(m) >= 400, 'best final at the caller');
  t.equal(status(challenge), 407, 'the challenge wins over the 486');
  caller.send(request('ACK', caller, us, 'px-auth', { toTag: /;tag=([^;\s>]+)/.exec(header(challenge, 'To') ?? '')?.[1] }), us.port, us.address);

  caller.send(request('INVITE', caller, us, 'px-auth', { cseq: 2, body: SDP, extra: ['Proxy-Authorization: Digest username="u", realm="x", nonce="n", uri="sip:svc", response="r"'] }), us.port, us.address);
  const a2 = await challenger.expect((m) => m.startsWith('INVITE ') && /CSeq: 2 INVITE/.test(m), 'the retry at the challenger');
  answer(challenger, a2, '200 OK', [`Contact: <sip:a@127.0.2.207:${challenger.port}>`], us);
  t.equal(status(await caller.expect((m) => m.includes('px-auth') && /CSeq: 2 INVITE/.test(m) && status(m) >= 200, '200')), 200);
  await t.rejects(busy.expect((m) => m.startsWith('INVITE ') && /CSeq: 2 INVITE/.test(m), 'no retry at the other target', 300), 'the other target never saw the retry');
});
