// App connection lifecycle as drachtio-server handles it: the dialog outlives its app (in-dialog
// requests then get 481, a BYE gets 200 and clears it), the app's routes vanish at once, and a
// reconnected app takes new calls again.
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { SDP, disconnect, header, onVerb, rawPeer, request, srfApp, waitRouted, status } from '../unit/sip/edge/ua/sip-edge-peer.js';

t.test('dialogs outlive their app; routes do not; a new app takes over', async (t) => {
  const edge = new SipEdge({ sip: [{ proto: 'udp', host: '127.0.2.200', port: 0 }], control: { host: '127.0.0.1', port: 0, secret: 'rc' } });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const us = { address: '127.0.2.200', port: addr.sip[0].port };
  const peer = await rawPeer('127.0.2.201');
  t.teardown(() => peer.close());
  const answerAll = (s: Parameters<typeof onVerb>[0]): void => onVerb(s, 'invite', (_req, res) => res.send(200, { body: SDP }));

  const first = await srfApp(addr.controlPort, 'rc', answerAll);
  await waitRouted(edge, ['invite']);
  peer.send(request('INVITE', peer, us, 'rc-1', { body: SDP }), us.port, us.address);
  const ok = await peer.expect((m) => m.includes('rc-1') && status(m) === 200, '200');
  const toTag = /;tag=([^;\s>]+)/.exec(header(ok, 'To') ?? '')?.[1];
  peer.send(request('ACK', peer, us, 'rc-1', { toTag, branch: 'z9hG4bKrcack' }), us.port, us.address);
  disconnect(first);
  const deadline = Date.now() + 10_000;
  while (edge.stats().appConnections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

  peer.send(request('INFO', peer, us, 'rc-1', { cseq: 2, toTag }), us.port, us.address);
  t.equal(status(await peer.expect((m) => m.includes('rc-1') && /CSeq: 2 INFO/.test(m), 'INFO answer')), 481, 'in-dialog INFO: 481');
  peer.send(request('BYE', peer, us, 'rc-1', { cseq: 3, toTag }), us.port, us.address);
  t.equal(status(await peer.expect((m) => m.includes('rc-1') && /CSeq: 3 BYE/.test(m), 'BYE answer')), 200, 'BYE: 200, dialog cleared');
  peer.send(request('BYE', peer, us, 'rc-1', { cseq: 4, toTag }), us.port, us.address);
  t.equal(status(await peer.expect((m) => m.includes('rc-1') && /CSeq: 4 BYE/.test(m), 'second BYE answer')), 481, 'the dialog is gone');

  peer.send(request('INVITE', peer, us, 'rc-2', { body: SDP }), us.port, us.address);
  t.equal(status(await peer.expect((m) => m.includes('rc-2') && status(m) >= 200, 'final without app')), 503, 'no app: 503');

  const second = await srfApp(addr.controlPort, 'rc', answerAll);
  t.teardown(() => disconnect(second));
  await waitRouted(edge, ['invite']);
  peer.send(request('INVITE', peer, us, 'rc-3', { body: SDP }), us.port, us.address);
  t.equal(status(await peer.expect((m) => m.includes('rc-3') && status(m) >= 200, 'final with the new app')), 200, 'reconnected app answers');
});
