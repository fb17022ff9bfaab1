// Server transactions with the manual clock: 100 Trying, Timer G/H/I/J/L, absorbed
// retransmissions, RFC 6026 Accepted, merged requests (482), CANCEL matching, RFC 2543 peers.
import t from 'tap';
import { SipResponse, type AnySipMessage } from '../../../../../src/sip/edge/message/index.js';
import { buildResponse } from '../../../../../src/sip/edge/transaction/index.js';
import { PEER, PEER_TCP, copy, inbound, peerRequest, setup } from './harness.js';

const status = (code: number) => (m: AnySipMessage): boolean => !m.isRequest && (m as SipResponse).status === code;

t.test('INVITE over UDP: immediate 100, retransmits absorbed, 486 retransmitted by Timer G until ACK', async (t) => {
  const { clock, transport, layer, tu } = setup();
  const inv = peerRequest('INVITE');
  layer.receive(inbound(inv));
  t.equal(tu.requests.length, 1);
  const txn = tu.requests[0].txn;
  t.equal(txn.state, 'proceeding');
  t.same(transport.times(status(100)), [0], '100 Trying at once');
  t.equal((transport.sent[0].msg as SipResponse).to.tag, undefined, 'no To tag on 100');
  clock.advance(300);
  layer.receive(inbound(copy(inv)));
  t.equal(tu.requests.length, 1, 'retransmission not passed up');
  t.same(transport.times(status(100)), [0, 300], 'last provisional re-sent');
  txn.respond(buildResponse(inv, 486, undefined, 'edge1'));
  t.equal(txn.state, 'completed');
  clock.advance(5000);
  // G: 500, 1000, 2000, 4000 (T2 cap) → sends at 300, 800, 1800, 3800
  t.same(transport.times(status(486)), [300, 800, 1800, 3800]);
  layer.receive(inbound(copy(inv)));
  t.equal(transport.times(status(486)).length, 5, 'INVITE retransmit in Completed re-sends the final');
  const ack = peerRequest('ACK', { branch: inv.topVia!.branch, callId: inv.callId, fromTag: inv.from.tag, toTag: 'edge1' });
  layer.receive(inbound(ack));
  t.equal(txn.state, 'confirmed');
  t.equal(tu.acks.length, 0, 'ACK for non-2xx absorbed');
  layer.receive(inbound(copy(ack)));
  t.equal(tu.acks.length, 0);
  clock.advance(20000);
  t.equal(transport.times(status(486)).length, 5, 'Timer G stopped by the ACK');
  t.equal(txn.state, 'terminated', 'Timer I');
  t.same(layer.size, { client: 0, server: 0 });
  t.equal(clock.pending, 0);
});

t.test('INVITE: Timer G caps at T2 and Timer H ends the transaction without ACK', async (t) => {
  const { clock, transport, layer, tu } = setup();
  const inv = peerRequest('INVITE');
  layer.receive(inbound(inv));
  const txn = tu.requests[0].txn;
  txn.respond(buildResponse(inv, 603, undefined, 'x'));
  clock.advance(40000);
  t.same(transport.times(status(603)), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.equal(txn.state, 'terminated');
  t.same(tu.errors.map((e) => e.reason), ['timeout']);
});

t.test('INVITE: 2xx → Accepted; INVITE retransmits absorbed silently; ACK goes to the TU; Timer L', async (t) => {
  const { clock, transport, layer, tu } = setup();
  const inv = peerRequest('INVITE');
  layer.receive(inbound(inv));
  const txn = tu.requests[0].txn;
  txn.respond(buildResponse(inv, 180, undefined, 'edge2'));
  txn.respond(buildResponse(inv, 200, undefined, 'edge2'));
  t.equal(txn.state, 'accepted');
  const sentBefore = transport.sent.length;
  layer.receive(inbound(copy(inv)));
  t.equal(transport.sent.length, sentBefore, 'no resend in Accepted (the TU retransmits 2xx itself)');
  t.ok(txn.respond(buildResponse(inv, 200, undefined, 'edge2')), 'TU 2xx retransmission goes out');
  t.notOk(txn.respond(buildResponse(inv, 500, undefined, 'edge2')), 'no non-2xx after a 2xx');
  const ack = peerRequest('ACK', { branch: inv.topVia!.branch, callId: inv.callId, fromTag: inv.from.tag, toTag: 'edge2' });
  layer.receive(inbound(ack));
  t.equal(tu.acks.length, 1);
  t.equal(tu.acks[0].invite, txn);
  clock.advance(32000);
  t.equal(txn.state, 'terminated', 'Timer L = 64·T1');
  // a 2xx ACK with its own branch (the usual case) reaches the TU without a transaction
  layer.receive(inbound(peerRequest('ACK', { callId: inv.callId })));
  t.equal(tu.acks.length, 2);
  t.equal(tu.acks[1].invite, undefined);
});

t.test('delayed and disabled 100 Trying', async (t) => {
  const d = setup({}, { trying: 'delayed' });
  d.layer.receive(inbound(peerRequest('INVITE')));
  d.clock.advance(199);
  t.equal(d.transport.sent.length, 0);
  d.clock.advance(1);
  t.same(d.transport.times(status(100)), [200]);
  const e = setup({}, { trying: 'delayed' });
  const inv = peerRequest('INVITE');
  e.layer.receive(inbound(inv));
  e.tu.requests[0].txn.respond(buildResponse(inv, 180, undefined, 'q'));
  e.clock.advance(1000);
  t.same(e.transport.times(status(100)), [], 'no 100 once the TU answered');
  const n = setup({}, { trying: 'none' });
  n.layer.receive(inbound(peerRequest('INVITE')));
  n.clock.advance(1000);
  t.equal(n.transport.sent.length, 0);
});

t.test('non-INVITE: Trying absorbs, Proceeding/Completed re-send, Timer J; reliable ends at once', async (t) => {
  const { clock, transport, layer, tu } = setup();
  const opt = peerRequest('OPTIONS');
  layer.receive(inbound(opt));
  const txn = tu.requests[0].txn;
  t.equal(txn.state, 'trying');
  layer.receive(inbound(copy(opt)));
  t.equal(transport.sent.length, 0, 'nothing to re-send in Trying');
  txn.respond(buildResponse(opt, 183, undefined, 'a'));
  t.equal(txn.state, 'proceeding');
  layer.receive(inbound(copy(opt)));
  t.equal(transport.times(status(183)).length, 2);
  txn.respond(buildResponse(opt, 200, undefined, 'a'));
  layer.receive(inbound(copy(opt)));
  t.same(transport.times(status(200)), [0, 0]);
  t.equal(tu.requests.length, 1);
  clock.advance(31999);
  t.equal(txn.state, 'completed');
  clock.advance(1);
  t.equal(txn.state, 'terminated', 'Timer J = 64·T1');
  const tcpReq = peerRequest('BYE', { transport: 'TCP' });
  layer.receive(inbound(tcpReq, PEER_TCP));
  const tcpTxn = tu.requests[1].txn;
  tcpTxn.respond(buildResponse(tcpReq, 200, undefined, 'b'));
  t.equal(tcpTxn.state, 'terminated', 'Timer J is 0 on TCP');
});

t.test('merged request (§8.2.2.2): same From tag, Call-ID, CSeq, other branch → 482', async (t) => {
  const { transport, layer, tu } = setup({}, { trying: 'none' });
  const first = peerRequest('INVITE', { callId: 'merge1', fromTag: 'F', cseq: 5 });
  layer.receive(inbound(first));
  const second = peerRequest('INVITE', { callId: 'merge1', fromTag: 'F', cseq: 5, branch: 'z9hG4bKotherpath' });
  layer.receive(inbound(second, { protocol: 'udp', address: '127.0.2.51', port: 5070 }));
  t.equal(tu.requests.length, 1, 'the merged copy is not passed up');
  t.same(transport.times(status(482)), [0]);
  t.ok((transport.sent[0].msg as SipResponse).to.tag, '482 has a To tag');
  t.equal(layer.stats.mergedRequests, 1);
  layer.receive(inbound(copy(second), { protocol: 'udp', address: '127.0.2.51', port: 5070 }));
  t.equal(transport.times(status(482)).length, 2, 'its retransmission gets the 482 again');
  // with a To tag (in-dialog) no merge check applies
  layer.receive(inbound(peerRequest('INFO', { callId: 'merge1', fromTag: 'F', cseq: 6, toTag: 'x' })));
  layer.receive(inbound(peerRequest('INFO', { callId: 'merge1', fromTag: 'F', cseq: 6, toTag: 'x' })));
  t.equal(tu.requests.length, 3);
});

t.test('CANCEL matches its INVITE server transaction; unmatched CANCEL has none', async (t) => {
  const { layer, tu } = setup({}, { trying: 'none' });
  const inv = peerRequest('INVITE');
  layer.receive(inbound(inv));
  const cancel = peerRequest('CANCEL', { branch: inv.topVia!.branch, callId: inv.callId, fromTag: inv.from.tag });
  layer.receive(inbound(cancel));
  t.equal(tu.requests.length, 2);
  t.equal(tu.requests[1].txn.method, 'CANCEL');
  t.equal(tu.requests[1].invite, tu.requests[0].txn);
  t.ok(tu.requests[0].txn.cancelled);
  layer.receive(inbound(peerRequest('CANCEL', { branch: 'z9hG4bKnomatch' })));
  t.equal(tu.requests[2].invite, undefined);
  // the same branch from another sent-by is another transaction
  const other = peerRequest('CANCEL', { branch: inv.topVia!.branch });
  other.set('Via', `SIP/2.0/UDP 127.0.2.77:5070;branch=${inv.topVia!.branch}`);
  layer.receive(inbound(other));
  t.equal(tu.requests[3].invite, undefined);
});

t.test('RFC 2543 peer (no magic cookie): retransmission and ACK matched by the old rules', async (t) => {
  const { transport, layer, tu } = setup({}, { trying: 'none' });
  const inv = peerRequest('INVITE', { branch: 'oldstyle1' });
  inv.set('Via', 'SIP/2.0/UDP 127.0.2.50:5070');
  const again = copy(inv);
  layer.receive(inbound(inv));
  layer.receive(inbound(again));
  t.equal(tu.requests.length, 1);
  const txn = tu.requests[0].txn;
  txn.respond(buildResponse(inv, 404, undefined, 't'));
  const ack = peerRequest('ACK', { callId: inv.callId, fromTag: inv.from.tag, toTag: 't' });
  ack.set('Via', 'SIP/2.0/UDP 127.0.2.50:5070');
  layer.receive(inbound(ack));
  t.equal(txn.state, 'confirmed');
  t.equal(transport.times(status(404)).length, 1);
});

t.test('transport error on a response ends the server transaction and tells the TU', async (t) => {
  const { layer, tu, transport } = setup({}, { trying: 'none' });
  transport.failing.add(`${PEER.address}:${PEER.port}`);
  const inv = peerRequest('INVITE');
  layer.receive(inbound(inv));
  tu.requests[0].txn.respond(buildResponse(inv, 486, undefined, 'z'));
  await new Promise((r) => setImmediate(r));
  t.equal(tu.requests[0].txn.state, 'terminated');
  t.same(tu.errors.map((e) => e.reason), ['transport-error']);
  layer.close();
});
