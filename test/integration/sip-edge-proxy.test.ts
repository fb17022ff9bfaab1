// srf.proxyRequest through the edge: Record-Route added, a 302 from the first target followed
// to its Contact (followRedirects), the 200 relayed upstream without our Via, and the app told
// about each final response.
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { SDP, disconnect, header, rawPeer, request, srfApp, status, type RawPeer } from '../unit/sip/edge/ua/sip-edge-peer.js';

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
  await new Promise((r) => setTimeout(r, 300));

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
