// Incoming requests on the shared RFC 3261 §17.2 / RFC 6026 server transactions, through the
// whole edge (UDP, a drachtio-srf app, timers on a ManualClock): what the move off the UA's
// own server code fixed or keeps.
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { ManualClock } from '../../src/sip/edge/transaction/index.js';
import { SDP, disconnect, onVerb, rawPeer, request, srfApp, status, type RawPeer } from '../unit/sip/edge/ua/sip-edge-peer.js';

const tagOf = (m: string): string | undefined => /^To:.*;tag=([^;\s>]+)/im.exec(m)?.[1];
const has = (id: string, code: number, method = 'INVITE') => (m: string): boolean =>
  m.includes(`Call-ID: ${id}`) && status(m) === code && m.includes(` ${method}\r\n`);

type TapTest = { teardown(fn: () => unknown): void };

async function setup(t: TapTest, host: string, peerHost: string, app = true) {
  const clock = new ManualClock();
  const edge = new SipEdge({ sip: [{ proto: 'udp', host, port: 0 }], control: { host: '127.0.0.1', port: 0, secret: 'st' }, clock });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const seen: string[] = [];
  if (app) {
    const srf = await srfApp(addr.controlPort, 'st', (s) => {
      onVerb(s, 'invite', (req, res) => {
        const id = req.get('Call-ID');
        seen.push(id);
        if (id.startsWith('ok-')) res.send(200, { body: SDP });
        else if (id.startsWith('busy-')) res.send(486);
        // hold-*: never answered here
      });
      onVerb(s, 'options', (req, res) => {
        seen.push(`options ${req.get('Call-ID')}`);
        res.send(200);
      });
    });
    t.teardown(() => disconnect(srf));
    // srf's route|invite and route|options land before the first request
    const peer0 = await rawPeer(peerHost);
    const target0 = { address: host, port: addr.sip[0].port };
    peer0.send(request('OPTIONS', peer0, target0, 'warm'), target0.port, target0.address);
    await peer0.expect((m) => m.includes('Call-ID: warm') && status(m) === 200, 'OPTIONS answered by the app');
    peer0.close();
  }
  const peer = await rawPeer(peerHost);
  t.teardown(() => peer.close());
  return { clock, edge, peer, seen, target: { address: host, port: addr.sip[0].port } };
}

/** A barrier: an OPTIONS the app answers; everything the edge sent before it arrives first (one socket, loopback). */
async function barrier(peer: RawPeer, target: { address: string; port: number }, id: string): Promise<void> {
  peer.send(request('OPTIONS', peer, target, id), target.port, target.address);
  await peer.expect((m) => m.includes(`Call-ID: ${id}`) && status(m) >= 200, `OPTIONS ${id}`);
}

t.test('an INVITE retransmitted after the ACK is absorbed (RFC 6026 Accepted), not a second call', async (t) => {
  const { peer, seen, target, clock } = await setup(t, '127.0.28.10', '127.0.28.11');
  const invite = request('INVITE', peer, target, 'ok-1', { body: SDP, branch: 'z9hG4bKretx1' });
  peer.send(invite, target.port, target.address);
  const ok = await peer.expect(has('ok-1', 200), '200');
  peer.send(request('ACK', peer, target, 'ok-1', { toTag: tagOf(ok), branch: 'z9hG4bKack1' }), target.port, target.address);
  await barrier(peer, target, 'b1');
  peer.send(invite, target.port, target.address); // delayed copy of the original INVITE
  await barrier(peer, target, 'b2');
  t.same(seen.filter((s) => s === 'ok-1'), ['ok-1'], 'the app saw the INVITE once');
  t.equal(peer.received.filter(has('ok-1', 200)).length, 1, 'no 200 re-sent for the absorbed copy (ACK received)');
  clock.advance(64 * 500);
});

t.test('a merged request (same From tag, Call-ID and CSeq, new branch) gets 482 (§8.2.2.2)', async (t) => {
  const { peer, seen, target } = await setup(t, '127.0.28.12', '127.0.28.13');
  peer.send(request('INVITE', peer, target, 'hold-m', { body: SDP, branch: 'z9hG4bKfork1' }), target.port, target.address);
  t.equal(status(await peer.expect((m) => m.includes('Call-ID: hold-m'), '100')), 100);
  peer.send(request('INVITE', peer, target, 'hold-m', { body: SDP, branch: 'z9hG4bKfork2' }), target.port, target.address);
  const merged = await peer.expect((m) => m.includes('Call-ID: hold-m') && status(m) >= 200, 'final for the merged copy');
  t.equal(status(merged), 482);
  t.match(merged, /branch=z9hG4bKfork2/, 'answers the second branch');
  await barrier(peer, target, 'b3');
  t.same(seen.filter((s) => s === 'hold-m'), ['hold-m'], 'the app saw one INVITE');
});

t.test('486 retransmitted by Timer G until the ACK, which the layer absorbs (ManualClock)', async (t) => {
  const { peer, target, clock, edge } = await setup(t, '127.0.28.14', '127.0.28.15');
  peer.send(request('INVITE', peer, target, 'busy-1', { body: SDP, branch: 'z9hG4bKbusy1' }), target.port, target.address);
  const busy = await peer.expect(has('busy-1', 486), '486');
  clock.advance(500); // G: T1
  await peer.expect(has('busy-1', 486), '486 again after T1');
  clock.advance(1000); // G: 2·T1
  await peer.expect(has('busy-1', 486), '486 again after 2·T1');
  const ack = request('ACK', peer, target, 'busy-1', { toTag: tagOf(busy), branch: 'z9hG4bKbusy1' });
  peer.send(ack, target.port, target.address);
  await barrier(peer, target, 'b4');
  clock.advance(8000);
  await barrier(peer, target, 'b5');
  t.equal(peer.received.filter(has('busy-1', 486)).length, 3, 'the ACK stopped Timer G');
  t.equal(edge.stats().layerServerTransactions, 3, 'INVITE ended by Timer I (T4); OPTIONS warm, b4, b5 wait for Timer J');
  clock.advance(64 * 500);
  t.equal(edge.stats().layerServerTransactions, 0, 'Timers I and J ended them');
  t.equal(edge.stats().serverTransactions, 0, 'and their UA records');
});

t.test('CANCEL of an INVITE the stack already answered gets 200, an unknown one 481 (§9.2)', async (t) => {
  const { peer, target } = await setup(t, '127.0.28.16', '127.0.28.17', false);
  // no app routed INVITE: the stack answers 503
  peer.send(request('INVITE', peer, target, 'c-1', { body: SDP, branch: 'z9hG4bKc1' }), target.port, target.address);
  t.equal(status(await peer.expect(has('c-1', 503), '503')), 503);
  peer.send(request('CANCEL', peer, target, 'c-1', { branch: 'z9hG4bKc1' }), target.port, target.address);
  t.equal(status(await peer.expect((m) => m.includes('Call-ID: c-1') && m.includes(' CANCEL\r\n'), 'answer to CANCEL')), 200);
  peer.send(request('CANCEL', peer, target, 'c-2', { branch: 'z9hG4bKc2' }), target.port, target.address);
  t.equal(status(await peer.expect((m) => m.includes('Call-ID: c-2') && m.includes(' CANCEL\r\n'), 'answer to CANCEL')), 481);
});

t.test('CANCEL of a pending INVITE: 200 + 487, a retransmitted CANCEL gets the same 200', async (t) => {
  const { peer, target, seen } = await setup(t, '127.0.28.18', '127.0.28.19');
  peer.send(request('INVITE', peer, target, 'hold-c', { body: SDP, branch: 'z9hG4bKhc' }), target.port, target.address);
  await peer.expect((m) => m.includes('Call-ID: hold-c') && status(m) === 100, '100');
  const cancel = request('CANCEL', peer, target, 'hold-c', { branch: 'z9hG4bKhc' });
  peer.send(cancel, target.port, target.address);
  const isCancelOk = (m: string): boolean => m.includes('Call-ID: hold-c') && m.includes(' CANCEL\r\n') && status(m) === 200;
  await peer.expect(isCancelOk, '200 to CANCEL');
  await peer.expect(has('hold-c', 487), '487 to the INVITE');
  peer.send(cancel, target.port, target.address);
  await peer.expect(isCancelOk, '200 to the retransmitted CANCEL');
  await barrier(peer, target, 'b6');
  t.same(seen.filter((s) => s === 'hold-c'), ['hold-c']);
});
