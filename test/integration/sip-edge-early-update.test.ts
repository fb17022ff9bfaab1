// UPDATE inside the early dialog of an INVITE the app is still answering (after a plain 180):
// the edge hands it to the INVITE's app, srf raises `update` on the INVITE, the app answers it.
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { SDP, disconnect, header, rawPeer, request, srfApp, waitRouted, status } from '../unit/sip/edge/ua/sip-edge-peer.js';

interface InviteReq { on(ev: 'update', fn: (req: unknown, res: { send(s: number, o?: object): void }) => void): void }
interface Res { send(s: number, o?: object): void }

t.test('early UPDATE reaches the app and its answer reaches the peer', async (t) => {
  const edge = new SipEdge({ sip: [{ proto: 'udp', host: '127.0.2.174', port: 0 }], control: { host: '127.0.0.1', port: 0, secret: 'eu' } });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const srf = await srfApp(addr.controlPort, 'eu', (s) => {
    (s as unknown as { invite(fn: (req: InviteReq, res: Res) => void): void }).invite((req, res) => {
      req.on('update', (_ureq, ures) => {
        ures.send(200, { body: SDP });
        res.send(200, { body: SDP });
      });
      res.send(180);
    });
  });
  t.teardown(() => disconnect(srf));
  const peer = await rawPeer('127.0.2.175');
  t.teardown(() => peer.close());
  const target = { address: '127.0.2.174', port: addr.sip[0].port };
  await waitRouted(edge, ['invite']);
  peer.send(request('INVITE', peer, target, 'early-upd', { body: SDP, extra: ['Allow: INVITE, ACK, BYE, CANCEL, UPDATE'] }), target.port, target.address);
  const ringing = await peer.expect((m) => m.includes('early-upd') && status(m) === 180, '180');
  const toTag = /;tag=([^;\s>]+)/.exec(header(ringing, 'To') ?? '')?.[1];
  t.ok(toTag, '180 carries the To tag');
  peer.send(request('UPDATE', peer, target, 'early-upd', { cseq: 2, toTag, body: SDP }), target.port, target.address);
  const upd = await peer.expect((m) => m.includes('early-upd') && /CSeq: 2 UPDATE/.test(m), '200 to UPDATE');
  t.equal(status(upd), 200);
  const ok = await peer.expect((m) => m.includes('early-upd') && /CSeq: 1 INVITE/.test(m) && status(m) === 200, '200 to INVITE');
  t.match(header(ok, 'To') ?? '', new RegExp(`tag=${toTag}`), 'same To tag on the 200');
});
