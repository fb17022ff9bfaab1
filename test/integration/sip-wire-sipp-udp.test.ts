// sipp (UAC, UDP) calls a minimal UAS built on the edge transport + transaction layers. The
// UAS answers only after sipp has retransmitted the INVITE, so the retransmission is absorbed
// by the server transaction; sipp then ACKs and BYEs. Also: our UAC retransmits to a sipp UAS
// that answers late.
import t from 'tap';
import { MiniUas, runSipp, uacCallScenario } from '../unit/sip/edge/transaction/mini-uas.js';
import { SipTransport } from '../../src/sip/edge/transport/index.js';
import { parseUri, SipRequest, type SipResponse } from '../../src/sip/edge/message/index.js';
import { TransactionLayer, newTag, type ClientTransactionHandler } from '../../src/sip/edge/transaction/index.js';

const UAS_ADDR = '127.0.2.1';
const SIPP_ADDR = '127.0.2.10';

const UAC_SCENARIO = uacCallScenario('uac with retransmission', 500);

t.test('sipp UAC over UDP: INVITE retransmitted, absorbed, answered, ACK, BYE', async (t) => {
  const uas = new MiniUas({ protocol: 'udp', address: UAS_ADDR, answerAfterCopies: 2 });
  const port = await uas.start();
  t.teardown(() => uas.close());
  const calls = 3;
  const res = await runSipp(UAC_SCENARIO, ['-t', 'u1', '-i', SIPP_ADDR, '-p', '42010', '-m', String(calls), '-l', '1', '-timeout', '60', '-timeout_error', `${UAS_ADDR}:${port}`], 90000);
  t.equal(res.code, 0, `sipp succeeded ${res.errors.slice(0, 2000)} ${res.stderr.slice(-1000)}`);
  t.equal(uas.invites, calls, 'one server transaction per call');
  t.ok([...uas.inviteCopies.values()].every((n) => n >= 2), 'every INVITE was retransmitted by sipp');
  t.ok(uas.layer.stats.retransmissionsAbsorbed >= calls, `retransmissions absorbed: ${uas.layer.stats.retransmissionsAbsorbed}`);
  t.equal(uas.acks, calls);
  t.equal(uas.byes, calls);
});

const UAS_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uas answering late">
  <recv request="INVITE"/>
  <pause milliseconds="1700"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
`;

t.test('our UAC over UDP retransmits (Timer A) to a sipp UAS that answers late', async (t) => {
  const transport = new SipTransport({ listen: [{ protocol: 'udp', address: UAS_ADDR, port: 0 }] });
  await transport.start();
  let invitesSent = 0;
  const layer = new TransactionLayer({
    transport: {
      send: (m, d, e, o) => {
        if (Buffer.isBuffer(m) && m.subarray(0, 6).toString() === 'INVITE') invitesSent++;
        transport.send(m, d, e, o);
      },
      sendResponse: (r, i, e) => transport.sendResponse(r, i, e),
      listenerFor: (p, a) => transport.listenerFor(p, a),
    },
    tu: { onRequest: () => {}, onAck: () => {}, onStrayResponse: () => {} },
  });
  transport.on('message', (m) => layer.receive(m));
  t.teardown(async () => {
    layer.close();
    await transport.close();
  });
  const sipp = runSipp(UAS_SCENARIO, ['-t', 'u1', '-i', SIPP_ADDR, '-p', '42011', '-m', '1', '-timeout', '30', '-timeout_error'], 40000);
  // if sipp is not up yet, Timer A's retransmissions reach it anyway
  const l = transport.boundListeners[0];
  const invite = new SipRequest('INVITE', parseUri(`sip:sipp@${SIPP_ADDR}:42011`));
  invite.add('Max-Forwards', '70').add('From', `<sip:edge@${l.address}>;tag=${newTag()}`).add('To', `<sip:sipp@${SIPP_ADDR}>`);
  invite.add('Call-ID', `late-${Date.now()}@test`).add('CSeq', '1 INVITE').add('Contact', `<sip:edge@${l.address}:${l.port}>`);
  const res = await new Promise<SipResponse>((resolve, reject) => {
    const h: ClientTransactionHandler = {
      onResponse: (r) => {
        if (r.status >= 200) resolve(r);
      },
      onTimeout: () => reject(new Error('Timer B')),
      onTransportError: (_txn, e) => reject(e),
    };
    layer.sendRequest(invite, { protocol: 'udp', address: SIPP_ADDR, port: 42011 }, h);
  });
  t.equal(res.status, 200);
  // the ACK for a 2xx is the TU's: send it outside the transaction so sipp finishes
  const ack = new SipRequest('ACK', invite.uri.clone());
  ack.add('Max-Forwards', '70').add('From', invite.get('from')!).add('To', res.get('to')!).add('Call-ID', invite.callId).add('CSeq', '1 ACK');
  layer.sendAck(ack, { protocol: 'udp', address: SIPP_ADDR, port: 42011 });
  const r = await sipp;
  t.equal(r.code, 0, `sipp UAS succeeded ${r.errors.slice(0, 2000)}`);
  t.ok(invitesSent >= 3, `INVITE sent ${invitesSent} times before the late answer (0, 500, 1500 ms)`);
  t.ok(layer.stats.retransmissionsSent >= 2);
});
