// Digest authentication of a trunk's INVITEs through the real SIP edge and drachtio-srf: sipp
// (127.0.24.20) is challenged with 401, answers with [authentication] and is admitted; with a
// wrong password it gets 403 and the failure is counted.
import t from 'tap';
import { edgeWithTrunks, sipp } from '../fixtures/sip-trunks.js';

const EDGE = '127.0.24.1';

const authScenario = (password: string, final: number): string => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="invite with digest, expecting ${final}">
  <send retrans="500">
    <![CDATA[
      INVITE sip:+4930555123@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:pbx@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:+4930555123@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>
  <send>
    <![CDATA[
      ACK sip:+4930555123@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:pbx@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      INVITE sip:+4930555123@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:pbx@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:+4930555123@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 2 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      [authentication username=pbx password=${password}]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="${final}"/>
  <send>
    <![CDATA[
      ACK sip:+4930555123@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:pbx@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
`;

t.test('digest challenge round trip with sipp: 401, then admitted; wrong password: 403', async (t) => {
  const admitted: string[] = [];
  const { sipPort, metrics } = await edgeWithTrunks(t, EDGE, {
    pbx: { addresses: ['127.0.24.20'], inboundAuthRealm: 'spangate.test', inboundAuthUsername: 'pbx', inboundAuthPassword: 's3cret' },
  }, (srf, dir) => {
    srf.invite((req, res) => {
      void dir().admit(req, res).then((v) => {
        if (!v.ok) return;
        admitted.push(v.trunk);
        res.send(486);
      });
    });
  });
  const args = (port: number): string[] => ['-t', 'u1', '-i', '127.0.24.20', '-p', String(port), '-m', '1', '-timeout', '60', '-timeout_error', `${EDGE}:${sipPort}`];
  const good = await sipp(t, authScenario('s3cret', 486), args(24020)).exit;
  t.equal(good.code, 0, good.code === 0 ? 'challenged, authenticated, admitted' : `sipp: ${good.errors.slice(0, 1500)} ${good.stdout.slice(-800)}`);
  t.same(admitted, ['pbx']);

  const bad = await sipp(t, authScenario('wrong', 403), args(24021)).exit;
  t.equal(bad.code, 0, bad.code === 0 ? 'wrong password refused with 403' : `sipp: ${bad.errors.slice(0, 1500)} ${bad.stdout.slice(-800)}`);
  t.same(admitted, ['pbx'], 'not admitted');
  t.match((await metrics.render()).body, /^spangate_sip_auth_failures_total\{trunk="pbx"\} 1$/m);
});
