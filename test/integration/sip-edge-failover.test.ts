// A request from the app to a name with two addresses: the first does not answer, the
// transaction layer fails over to the second, and the app gets that target's 200.
import t from 'tap';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { SipEdge } from '../../src/sip/edge/server.js';
import { disconnect, header, rawPeer, srfApp } from '../unit/sip/edge/ua/sip-edge-peer.js';

interface SrfRequestApi { request(uri: string, opts: object): Promise<{ on(ev: 'response', fn: (res: { status: number }) => void): void }> }

t.test('failover to the second address of a name', async (t) => {
  const peer = await rawPeer('127.0.2.181');
  t.teardown(() => peer.close());
  // The first target: a socket on the same port number at the first address that never answers.
  const port = peer.port;
  const mute = dgram.createSocket('udp4');
  mute.bind(port, '127.0.2.180');
  await once(mute, 'listening');
  t.teardown(() => mute.close());
  const edge = new SipEdge({
    sip: [{ proto: 'udp', host: '127.0.2.182', port: 0 }],
    control: { host: '127.0.0.1', port: 0, secret: 'fo' },
    hostMap: { 'two.example': ['127.0.2.180', '127.0.2.181'] },
    timers: { t1: 50, t2: 400 },
  });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const srf = await srfApp(addr.controlPort, 'fo', () => undefined);
  t.teardown(() => disconnect(srf));

  const sent = (srf as unknown as SrfRequestApi).request(`sip:svc@two.example:${port}`, { method: 'OPTIONS', headers: { From: 'sip:app@localhost' } });
  const opt = await peer.expect((m) => m.startsWith('OPTIONS '), 'OPTIONS at the second address', 20_000);
  const vias = opt.split('\r\n').filter((l) => /^Via:/i.test(l));
  const reply = ['SIP/2.0 200 OK', ...vias, `From: ${header(opt, 'From')}`, `To: ${header(opt, 'To')};tag=fo1`, `Call-ID: ${header(opt, 'Call-ID')}`,
    `CSeq: ${header(opt, 'CSeq')}`, 'Content-Length: 0', '', ''].join('\r\n');
  peer.send(reply, addr.sip[0].port, '127.0.2.182');
  const req = await sent;
  const status = await new Promise<number>((resolve) => req.on('response', (res) => resolve(res.status)));
  t.equal(status, 200, 'the app got the second target answer');
});
