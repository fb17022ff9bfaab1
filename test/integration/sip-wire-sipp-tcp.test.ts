// sipp (UAC, TCP, one connection for all calls) calls a minimal UAS built on the edge
// transport + transaction layers: framing on a real stream, responses on the same connection,
// no retransmissions on a reliable transport.
import t from 'tap';
import { MiniUas, runSipp } from '../unit/sip/edge/transaction/mini-uas.js';

const UAS_ADDR = '127.0.2.1';
const SIPP_ADDR = '127.0.2.11';

const UAC_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac over tcp">
  <send>
    <![CDATA[
      INVITE sip:edge@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: edge <sip:edge@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
    ]]>
  </send>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:edge@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: edge <sip:edge@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <send>
    <![CDATA[
      BYE sip:edge@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: edge <sip:edge@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
`;

t.test('sipp UAC over TCP: INVITE/200/ACK/BYE for several calls on one connection', async (t) => {
  const uas = new MiniUas({ protocol: 'tcp', address: UAS_ADDR });
  const port = await uas.start();
  t.teardown(() => uas.close());
  const calls = 20;
  const res = await runSipp(UAC_SCENARIO, ['-t', 't1', '-i', SIPP_ADDR, '-p', '42012', '-m', String(calls), '-r', '20', '-timeout', '60', '-timeout_error', `${UAS_ADDR}:${port}`], 90000);
  t.equal(res.code, 0, `sipp succeeded ${res.errors.slice(0, 2000)} ${res.stderr.slice(-1000)}`);
  t.equal(uas.invites, calls);
  t.equal(uas.acks, calls);
  t.equal(uas.byes, calls);
  t.equal(uas.transport.stats.connectionsOpened, 1, 'all calls on one TCP connection');
  t.equal(uas.transport.stats.parseErrors, 0);
  t.equal(uas.layer.stats.retransmissionsSent, 0, 'nothing retransmitted over TCP');
  t.equal(uas.layer.stats.retransmissionsAbsorbed, 0);
});
