// Session timers (RFC 4028) run by the edge: 422 below Min-SE, the edge answers the UAC's
// Session-Expires when the app does not, refreshes when it is the refresher, and tears the
// dialog down (BYE + unsolicited BYE to the app) when the peer's refresh never comes.
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { SDP, disconnect, header, rawPeer, request, srfApp, waitRouted, status, type SrfApp } from '../unit/sip/edge/ua/sip-edge-peer.js';

interface UasDialog { on(ev: 'destroy', fn: (msg: unknown, reason?: string) => void): void }
type CreateUas = (req: unknown, res: unknown, opts: { localSdp: string }) => Promise<UasDialog>;

async function setup(t: Tap, ip: string, peerIp: string) {
  const edge = new SipEdge({
    sip: [{ proto: 'udp', host: ip, port: 0 }],
    control: { host: '127.0.0.1', port: 0, secret: 'st' },
    timers: { minSessionExpires: 2 },
  });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const destroyed: Array<string | undefined> = [];
  const srf: SrfApp = await srfApp(addr.controlPort, 'st', (s) => {
    const createUAS = (s as unknown as { createUAS: CreateUas }).createUAS.bind(s);
    (s as unknown as { invite(fn: (req: unknown, res: unknown) => void): void }).invite((req, res) => {
      void createUAS(req, res, { localSdp: SDP }).then((dlg) => dlg.on('destroy', (_m, reason) => destroyed.push(reason)));
    });
  });
  t.teardown(() => disconnect(srf));
  const peer = await rawPeer(peerIp);
  t.teardown(() => peer.close());
  await waitRouted(edge, ['invite']);
  return { peer, destroyed, target: { address: ip, port: addr.sip[0].port } };
}

type Tap = { teardown(fn: () => unknown): void };

t.test('422 with Min-SE for a too-small Session-Expires', async (t) => {
  const { peer, target } = await setup(t, '127.0.2.160', '127.0.2.161');
  peer.send(request('INVITE', peer, target, 'st-small', { body: SDP, extra: ['Session-Expires: 1', 'Supported: timer'] }), target.port, target.address);
  const r = await peer.expect((m) => m.includes('st-small') && status(m) >= 200, '422');
  t.equal(status(r), 422);
  t.equal(header(r, 'Min-SE'), '2');
});

t.test('the peer is the refresher and never refreshes: BYE "Session timer expired"', async (t) => {
  const { peer, target, destroyed } = await setup(t, '127.0.2.162', '127.0.2.163');
  peer.send(request('INVITE', peer, target, 'st-expire', { body: SDP, extra: ['Session-Expires: 2;refresher=uac', 'Supported: timer'] }), target.port, target.address);
  const ok = await peer.expect((m) => m.includes('st-expire') && status(m) === 200, '200');
  t.match(header(ok, 'Session-Expires') ?? '', /^2;refresher=uac/, 'the edge answered the Session-Expires');
  t.equal(header(ok, 'Require'), 'timer');
  const toTag = /;tag=([^;\s>]+)/.exec(header(ok, 'To') ?? '')?.[1];
  peer.send(request('ACK', peer, target, 'st-expire', { toTag, branch: 'z9hG4bKstack' }), target.port, target.address);
  const bye = await peer.expect((m) => m.startsWith('BYE ') && m.includes('st-expire'), 'BYE from the edge');
  t.match(header(bye, 'Reason') ?? '', /Session timer expired/);
  const deadline = Date.now() + 10_000;
  while (destroyed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.same(destroyed, ['Session timer expired'], 'the app saw the dialog end');
});

t.test('the edge is the refresher: it sends UPDATE refreshes', async (t) => {
  const { peer, target } = await setup(t, '127.0.2.164', '127.0.2.165');
  peer.send(request('INVITE', peer, target, 'st-refresh', {
    body: SDP, extra: ['Session-Expires: 2;refresher=uas', 'Supported: timer', 'Allow: INVITE, ACK, BYE, CANCEL, UPDATE'],
  }), target.port, target.address);
  const ok = await peer.expect((m) => m.includes('st-refresh') && status(m) === 200, '200');
  t.match(header(ok, 'Session-Expires') ?? '', /^2;refresher=uas/);
  const toTag = /;tag=([^;\s>]+)/.exec(header(ok, 'To') ?? '')?.[1];
  peer.send(request('ACK', peer, target, 'st-refresh', { toTag, branch: 'z9hG4bKstack2' }), target.port, target.address);
  for (let i = 0; i < 2; i++) {
    const upd = await peer.expect((m) => m.startsWith('UPDATE ') && m.includes('st-refresh'), `refresh ${i + 1}`);
    t.match(header(upd, 'Session-Expires') ?? '', /^2/);
    const vias = upd.split('\r\n').filter((l) => /^Via:/i.test(l));
    const reply = ['SIP/2.0 200 OK', ...vias, `From: ${header(upd, 'From')}`, `To: ${header(upd, 'To')}`, `Call-ID: ${header(upd, 'Call-ID')}`,
      `CSeq: ${header(upd, 'CSeq')}`, 'Session-Expires: 2;refresher=uac', 'Content-Length: 0', '', ''].join('\r\n');
    peer.send(reply, target.port, target.address);
  }
  t.pass('two refreshes answered; the dialog stays up');
});
