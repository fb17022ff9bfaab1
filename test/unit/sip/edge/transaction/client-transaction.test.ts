// Client transactions with the manual clock: Timer A/B/D/E/F/K/M, ACK for non-2xx, RFC 6026
// Accepted, held CANCEL, failover.
import t from 'tap';
import { SipRequest } from '../../../../../src/sip/edge/message/index.js';
import { PEER, PEER_TCP, RecordingHandler, answer, inbound, ourRequest, setup } from './harness.js';

const isInvite = (m: { isRequest: boolean }): boolean => m.isRequest && (m as SipRequest).method === 'INVITE';
const isMethod = (method: string) => (m: { isRequest: boolean }): boolean => m.isRequest && (m as SipRequest).method === method;

t.test('INVITE over UDP: Timer A doubles without cap until Timer B at 64·T1', async (t) => {
  const { clock, transport, layer } = setup();
  const h = new RecordingHandler();
  const txn = layer.sendRequest(ourRequest('INVITE'), PEER, h);
  t.equal(txn.state, 'calling');
  t.match(txn.request.topVia!.toString(), /^SIP\/2\.0\/UDP 127\.0\.2\.1:5060;branch=z9hG4bK.+;rport$/);
  clock.advance(40000);
  t.same(transport.times(isInvite), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  t.equal(h.timeouts, 1, 'Timer B fired once');
  t.equal(txn.state, 'terminated');
  t.same(layer.size, { client: 0, server: 0 });
  t.equal(clock.pending, 0, 'no timers left');
});

t.test('T1 and T2 are configurable', async (t) => {
  const { clock, transport, layer } = setup({ t1: 100, t2: 400 });
  const h = new RecordingHandler();
  layer.sendRequest(ourRequest('OPTIONS'), PEER, h);
  clock.advance(7000);
  // E: 100, 200, 400, 400 ... until F at 6400
  t.same(transport.times(isMethod('OPTIONS')), [0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300]);
  t.equal(h.timeouts, 1);
  t.equal(clock.now(), 7000);
});

t.test('INVITE: 1xx stops retransmission; non-2xx gets an ACK from the transaction; Timer D', async (t) => {
  const { clock, transport, layer, tu } = setup();
  const h = new RecordingHandler();
  const txn = layer.sendRequest(ourRequest('INVITE'), PEER, h);
  clock.advance(600);
  layer.receive(inbound(answer(txn, 180)));
  t.equal(txn.state, 'proceeding');
  clock.advance(10000);
  t.same(transport.times(isInvite), [0, 500], 'no retransmission in Proceeding');
  const busy = answer(txn, 486);
  layer.receive(inbound(busy));
  t.equal(txn.state, 'completed');
  t.same(h.responses, [180, 486]);
  const acks = transport.sent.filter((s) => isMethod('ACK')(s.msg));
  t.equal(acks.length, 1);
  const ack = acks[0].msg as SipRequest;
  t.equal(ack.topVia?.branch, txn.branch, 'ACK for non-2xx has the INVITE branch');
  t.equal(ack.vias.length, 1);
  t.equal(ack.to.tag, 'peertag', 'To from the response');
  t.equal(ack.cseq.seq, 7);
  t.equal(ack.cseq.method, 'ACK');
  t.equal(ack.uri.toString(), txn.request.uri.toString());
  t.equal(ack.get('route'), '<sip:proxy.example.com;lr>');
  t.same(acks[0].dest, PEER);
  // retransmitted 486: ACK again, not passed up
  layer.receive(inbound(answer(txn, 486)));
  t.equal(transport.sent.filter((s) => isMethod('ACK')(s.msg)).length, 2);
  t.same(h.responses, [180, 486]);
  clock.advance(31999);
  t.equal(txn.state, 'completed');
  clock.advance(1);
  t.equal(txn.state, 'terminated', 'Timer D = 32 s');
  layer.receive(inbound(answer(txn, 486)));
  t.equal(tu.stray.length, 1, 'after the transaction, a stray response goes to the TU');
});

t.test('INVITE: 2xx moves to Accepted (RFC 6026); 2xx retransmits reach the TU until Timer M', async (t) => {
  const { clock, transport, layer, tu } = setup();
  const h = new RecordingHandler();
  const txn = layer.sendRequest(ourRequest('INVITE'), PEER, h);
  layer.receive(inbound(answer(txn, 200)));
  t.equal(txn.state, 'accepted');
  layer.receive(inbound(answer(txn, 200)));
  layer.receive(inbound(answer(txn, 200, 'otherfork')));
  layer.receive(inbound(answer(txn, 404)));
  t.same(h.responses, [200, 200, 200], 'each 2xx to the TU, the late 404 dropped');
  t.equal(transport.times(isMethod('ACK')).length, 0, 'the transaction never ACKs a 2xx');
  clock.advance(31999);
  t.equal(txn.state, 'accepted');
  clock.advance(1);
  t.equal(txn.state, 'terminated', 'Timer M = 64·T1');
  layer.receive(inbound(answer(txn, 200)));
  t.equal(tu.stray.length, 1);
});

t.test('non-INVITE: Timer E to T2, at T2 in Proceeding, Timer K after the final', async (t) => {
  const { clock, transport, layer } = setup();
  const h = new RecordingHandler();
  const txn = layer.sendRequest(ourRequest('BYE'), PEER, h);
  clock.advance(4000);
  t.same(transport.times(isMethod('BYE')), [0, 500, 1500, 3500]);
  layer.receive(inbound(answer(txn, 100)));
  t.equal(txn.state, 'proceeding');
  clock.advance(8000);
  t.same(transport.times(isMethod('BYE')), [0, 500, 1500, 3500, 7500, 11500], 'T2 spacing in Proceeding');
  layer.receive(inbound(answer(txn, 200)));
  t.equal(txn.state, 'completed');
  layer.receive(inbound(answer(txn, 200)));
  t.same(h.responses, [100, 200], 'final retransmission absorbed');
  clock.advance(4999);
  t.equal(txn.state, 'completed');
  clock.advance(1);
  t.equal(txn.state, 'terminated', 'Timer K = T4');
  t.equal(h.terminated, 1);
});

t.test('non-INVITE Timer F fires in Proceeding too', async (t) => {
  const { clock, layer } = setup();
  const h = new RecordingHandler();
  const txn = layer.sendRequest(ourRequest('OPTIONS'), PEER, h);
  layer.receive(inbound(answer(txn, 100)));
  clock.advance(32000);
  t.equal(h.timeouts, 1);
});

t.test('reliable transport: no retransmissions, D and K are zero', async (t) => {
  const { clock, transport, layer } = setup();
  const h = new RecordingHandler();
  const inv = layer.sendRequest(ourRequest('INVITE'), PEER_TCP, h);
  t.match(inv.request.topVia!.toString(), /^SIP\/2\.0\/TCP /);
  clock.advance(20000);
  t.same(transport.times(isInvite), [0]);
  layer.receive(inbound(answer(inv, 503), PEER_TCP));
  t.equal(inv.state, 'terminated', 'Timer D is 0 on TCP');
  const bye = layer.sendRequest(ourRequest('BYE'), PEER_TCP, new RecordingHandler());
  clock.advance(1000);
  t.same(transport.times(isMethod('BYE')), [20000]);
  layer.receive(inbound(answer(bye, 200), PEER_TCP));
  t.equal(bye.state, 'terminated', 'Timer K is 0 on TCP');
  const slow = new RecordingHandler();
  layer.sendRequest(ourRequest('INVITE'), PEER_TCP, slow);
  clock.advance(32000);
  t.equal(slow.timeouts, 1, 'Timer B still applies');
});

t.test('CANCEL: held until a provisional, same branch, dropped when the INVITE completes first', async (t) => {
  const { clock, transport, layer } = setup();
  const h = new RecordingHandler();
  const inv = layer.sendRequest(ourRequest('INVITE'), PEER, h);
  const ch = new RecordingHandler();
  const cancel = layer.sendCancel(inv, ch, [['Reason', 'SIP;cause=487;text="gone"']]);
  t.equal(cancel.state, 'held');
  clock.advance(100);
  t.equal(transport.times(isMethod('CANCEL')).length, 0, 'not sent before a provisional');
  layer.receive(inbound(answer(inv, 180)));
  const sentCancel = transport.sent.filter((s) => isMethod('CANCEL')(s.msg));
  t.equal(sentCancel.length, 1);
  const c = sentCancel[0].msg as SipRequest;
  t.equal(c.topVia?.branch, inv.branch);
  t.equal(c.cseq.seq, inv.request.cseq.seq);
  t.equal(c.get('reason'), 'SIP;cause=487;text="gone"');
  layer.receive(inbound(answer(cancel, 200)));
  t.same(ch.responses, [200], 'the 200 to CANCEL matched the CANCEL transaction, not the INVITE');
  layer.receive(inbound(answer(inv, 487)));
  t.same(h.responses, [180, 487]);
  // no final to the INVITE after a CANCEL: give up after 64·T1
  const inv2 = layer.sendRequest(ourRequest('INVITE'), PEER, new RecordingHandler());
  layer.receive(inbound(answer(inv2, 183)));
  layer.sendCancel(inv2, new RecordingHandler());
  clock.advance(32000);
  t.equal(inv2.state, 'terminated');
  t.equal((inv2.handler as RecordingHandler).timeouts, 1);
  // the INVITE fails before any provisional: the held CANCEL is never sent
  const inv3 = layer.sendRequest(ourRequest('INVITE'), PEER, new RecordingHandler());
  const ch3 = new RecordingHandler();
  const c3 = layer.sendCancel(inv3, ch3);
  const before = transport.times(isMethod('CANCEL')).length;
  layer.receive(inbound(answer(inv3, 486)));
  t.equal(c3.state, 'terminated');
  t.equal(ch3.terminated, 1);
  t.equal(transport.times(isMethod('CANCEL')).length, before);
});

t.test('failover across targets on transport error and on timeout, new branch each time', async (t) => {
  const { clock, transport, layer } = setup();
  const a = { protocol: 'udp' as const, address: '127.0.2.60', port: 5060 };
  const b = { protocol: 'udp' as const, address: '127.0.2.61', port: 5060 };
  const c = { protocol: 'tcp' as const, address: '127.0.2.62', port: 5060 };
  transport.failing.add('127.0.2.60:5060');
  const h = new RecordingHandler();
  const txn = layer.sendRequest(ourRequest('OPTIONS'), [a, b, c], h);
  const firstBranch = txn.branch;
  await new Promise((r) => setImmediate(r));
  t.same(txn.target, b, 'moved to the second target after the send error');
  t.not(txn.branch, firstBranch);
  t.equal(txn.request.vias.length, 1, 'our old Via replaced, not stacked');
  clock.advance(32000);
  t.same(txn.target, c, 'Timer F moved it to the third target');
  t.match(txn.request.topVia!.toString(), /^SIP\/2\.0\/TCP /);
  t.equal(h.timeouts, 0);
  layer.receive(inbound(answer(txn, 200), c));
  t.same(h.responses, [200]);
  t.equal(layer.stats.failovers, 2);
  const dests = transport.sent.filter((s) => isMethod('OPTIONS')(s.msg)).map((s) => s.dest.address);
  t.equal(dests[0], '127.0.2.60');
  t.equal(dests[dests.length - 1], '127.0.2.62');
  // all targets failing: one transport error reported
  transport.failing.add('127.0.2.61:5060');
  const h2 = new RecordingHandler();
  layer.sendRequest(ourRequest('OPTIONS'), [a, b], h2);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.equal(h2.transportErrors, 1);
  t.equal(h2.terminated, 1);
});

t.test('sendAck sends a 2xx ACK once with a fresh branch', async (t) => {
  const { clock, transport, layer } = setup();
  const ack = ourRequest('ACK');
  const branch = layer.sendAck(ack, PEER);
  clock.advance(10000);
  const acks = transport.sent.filter((s) => isMethod('ACK')(s.msg));
  t.equal(acks.length, 1);
  t.equal((acks[0].msg as SipRequest).topVia?.branch, branch);
  t.throws(() => layer.sendRequest(ourRequest('ACK'), PEER, new RecordingHandler()), RangeError);
});

t.test('RFC 3261 §18.1.1: a request over 1300 bytes goes over TCP, back to UDP if TCP fails', async (t) => {
  const { transport, layer } = setup({}, { udpMaxBytes: 1300 });
  const big = ourRequest('MESSAGE');
  big.body = Buffer.alloc(1500, 0x41);
  const h = new RecordingHandler();
  const targets = [PEER];
  const txn = layer.sendRequest(big, targets, h);
  t.equal(txn.target.protocol, 'tcp');
  t.match(txn.request.topVia!.toString(), /^SIP\/2\.0\/TCP /);
  t.equal(txn.request.vias.length, 1);
  t.same(targets, [PEER], "the caller's target list is not changed");
  t.equal(layer.stats.udpToTcp, 1);
  layer.receive(inbound(answer(txn, 200), PEER_TCP));
  t.same(h.responses, [200]);
  // TCP refused: fall back to UDP with a UDP Via
  transport.failing.add(`${PEER.address}:${PEER.port}`);
  const h2 = new RecordingHandler();
  const big2 = ourRequest('MESSAGE');
  big2.body = Buffer.alloc(1500, 0x41);
  const txn2 = layer.sendRequest(big2, PEER, h2);
  await new Promise((r) => setImmediate(r));
  t.equal(txn2.target.protocol, 'udp');
  t.match(txn2.request.topVia!.toString(), /^SIP\/2\.0\/UDP /);
  t.same(transport.sent.filter((s) => s.msg.isRequest).slice(-2).map((s) => s.dest.protocol), ['tcp', 'udp']);
  // small requests stay on UDP
  const small = layer.sendRequest(ourRequest('OPTIONS'), PEER, new RecordingHandler());
  t.equal(small.target.protocol, 'udp');
});

t.test('Timer C (proxy INVITE): reset by each provisional, fires onTimerC, stops on a final', async (t) => {
  const { clock, layer } = setup({ timerC: 200000 });
  const fired: string[] = [];
  const h = Object.assign(new RecordingHandler(), { onTimerC: () => fired.push('C') });
  const txn = layer.sendRequest(ourRequest('INVITE'), PEER, h, { timerC: true });
  clock.advance(10000);
  layer.receive(inbound(answer(txn, 180)));
  clock.advance(150000);
  t.same(fired, [], 'no Timer C yet');
  layer.receive(inbound(answer(txn, 180)));
  clock.advance(150000);
  t.same(fired, [], 'the second 180 reset Timer C');
  layer.receive(inbound(answer(txn, 183)));
  clock.advance(199999);
  t.same(fired, []);
  clock.advance(1);
  t.same(fired, ['C']);
  t.equal(txn.state, 'proceeding', 'the proxy core decides (CANCEL)');
  // without onTimerC and without any provisional: acts as 408
  const plain = new RecordingHandler();
  const tx2 = layer.sendRequest(ourRequest('INVITE'), PEER_TCP, plain, { timerC: true });
  clock.advance(200000);
  t.equal(plain.timeouts, 1, 'Timer B first on a silent peer');
  t.equal(tx2.state, 'terminated');
  const h3 = new RecordingHandler();
  const tx3 = layer.sendRequest(ourRequest('INVITE'), PEER_TCP, h3, { timerC: true });
  layer.receive(inbound(answer(tx3, 100), PEER_TCP));
  layer.receive(inbound(answer(tx3, 200), PEER_TCP));
  clock.advance(400000);
  t.equal(h3.timeouts, 0, 'no Timer C after a final');
  t.equal(clock.pending, 0);
});

t.test('a TU callback throwing from a timer is contained and counted', async (t) => {
  const { clock, layer } = setup();
  const h = new RecordingHandler();
  h.onTimeout = () => {
    throw new Error('TU bug');
  };
  const txn = layer.sendRequest(ourRequest('OPTIONS'), PEER, h);
  clock.advance(40000);
  t.equal(layer.stats.tuErrors, 1);
  t.equal(txn.state, 'terminated', 'the transaction still ended');
  t.equal(clock.pending, 0, 'no timer left running');
});
