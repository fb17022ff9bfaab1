// Overload: with the backlog of INVITEs waiting for the app full, a new INVITE gets 503 with
// Retry-After, while an established dialog keeps working (its BYE reaches the app).
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { SDP, disconnect, header, onVerb, rawPeer, request, srfApp, waitRouted, status } from '../unit/sip/edge/ua/sip-edge-peer.js';

t.test('503 + Retry-After past the pending-INVITE limit; existing dialogs unaffected', async (t) => {
  const edge = new SipEdge({
    sip: [{ proto: 'udp', host: '127.0.2.150', port: 0 }],
    control: { host: '127.0.0.1', port: 0, secret: 'ov' },
    overload: { maxPendingRequests: 2, retryAfterSec: 7 },
  });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  let byes = 0;
  const srf = await srfApp(addr.controlPort, 'ov', (s) => {
    onVerb(s, 'invite', (req, res) => {
      // answer the first call, hold the others (they stay pending in the edge)
      if (req.get('Call-ID') === 'answer-me') res.send(200, { body: SDP });
    });
    onVerb(s, 'bye', (_req, res) => {
      byes++;
      res.send(200);
    });
  });
  t.teardown(() => disconnect(srf));
  const peer = await rawPeer('127.0.2.151');
  t.teardown(() => peer.close());
  const target = { address: '127.0.2.150', port: addr.sip[0].port };
  await waitRouted(edge, ['invite', 'bye']);

  peer.send(request('INVITE', peer, target, 'answer-me', { body: SDP }), target.port, target.address);
  const ok = await peer.expect((m) => m.includes('answer-me') && status(m) === 200, '200 to the first INVITE');
  const toTag = /;tag=([^;\s>]+)/.exec(header(ok, 'To') ?? '')?.[1];
  t.ok(toTag, '200 carries a To tag');
  peer.send(request('ACK', peer, target, 'answer-me', { toTag, branch: 'z9hG4bKack1' }), target.port, target.address);

  for (const id of ['held-1', 'held-2']) {
    peer.send(request('INVITE', peer, target, id, { body: SDP }), target.port, target.address);
    t.equal(status(await peer.expect((m) => m.includes(id), `100 for ${id}`)), 100);
  }
  peer.send(request('INVITE', peer, target, 'one-too-many', { body: SDP }), target.port, target.address);
  const busy = await peer.expect((m) => m.includes('one-too-many') && status(m) >= 200, '503');
  t.equal(status(busy), 503, 'new INVITE refused');
  t.equal(header(busy, 'Retry-After'), '7');

  peer.send(request('BYE', peer, target, 'answer-me', { cseq: 2, toTag }), target.port, target.address);
  const byeOk = await peer.expect((m) => m.includes('answer-me') && /CSeq: 2 BYE/.test(m), '200 to BYE');
  t.equal(status(byeOk), 200, 'the established dialog still works');
  t.equal(byes, 1, 'the BYE reached the app');
});

t.test('503 + Retry-After past the INVITE rate', async (t) => {
  const edge = new SipEdge({
    sip: [{ proto: 'udp', host: '127.0.2.152', port: 0 }],
    control: { host: '127.0.0.1', port: 0, secret: 'ov' },
    overload: { maxInviteRate: 3, retryAfterSec: 2 },
  });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const srf = await srfApp(addr.controlPort, 'ov', (s) => onVerb(s, 'invite', (_req, res) => res.send(486)));
  t.teardown(() => disconnect(srf));
  await waitRouted(edge, ['invite']);
  const peer = await rawPeer('127.0.2.153');
  t.teardown(() => peer.close());
  const target = { address: '127.0.2.152', port: addr.sip[0].port };
  for (let i = 0; i < 6; i++) peer.send(request('INVITE', peer, target, `burst-${i}`, { body: SDP }), target.port, target.address);
  const finals: number[] = [];
  for (let i = 0; i < 6; i++) {
    const m = await peer.expect((x) => x.includes(`burst-${i}`) && status(x) >= 200, `final for burst-${i}`);
    finals.push(status(m));
  }
  // Within one second at most 3 INVITEs go to the app; the rest are refused.
  t.ok(finals.filter((s) => s === 503).length >= 3, `at least three 503s (${finals.join(',')})`);
});
