// Source-address ACL through the real SIP edge and drachtio-srf: an INVITE from sipp on
// 127.0.24.99, outside every trunk's ACL, is answered 403 by the trunk directory and counted;
// the same scenario from an address inside a trunk's network reaches the app as that trunk.
import t from 'tap';
import { edgeWithTrunks, sipp } from '../fixtures/sip-trunks.js';

const EDGE = '127.0.24.1';

/** INVITE, then the final answer `status` (ACKed through [last_Via:], the INVITE's branch). */
const inviteExpecting = (status: number): string => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="invite expecting ${status}">
  <send retrans="500">
    <![CDATA[
      INVITE sip:+4930555123@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+4989123@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:+4930555123@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="${status}"/>
  <send>
    <![CDATA[
      ACK sip:+4930555123@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:+4989123@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
`;

t.test('a source outside every ACL gets 403 and is counted; an allowed one reaches the app', async (t) => {
  const admitted: string[] = [];
  const { sipPort, metrics } = await edgeWithTrunks(t, EDGE, {
    pbx: { addresses: ['127.0.24.30'], acl: ['127.0.24.32/28'] },
    carrier: { addresses: ['127.0.24.31'] },
  }, (srf, dir) => {
    srf.invite((req, res) => {
      void dir().admit(req, res).then((v) => {
        if (!v.ok) return;
        admitted.push(v.trunk);
        res.send(486);
      });
    });
  });
  const outside = await sipp(t, inviteExpecting(403), ['-t', 'u1', '-i', '127.0.24.99', '-p', '24099', '-m', '1', '-timeout', '60', '-timeout_error', `${EDGE}:${sipPort}`]).exit;
  t.equal(outside.code, 0, outside.code === 0 ? 'sipp from 127.0.24.99 got 403' : `sipp: ${outside.errors.slice(0, 1500)} ${outside.stdout.slice(-800)}`);
  t.match((await metrics.render()).body, /^spangate_sip_acl_rejected_total 1$/m);
  t.same(admitted, [], 'the app never saw it as a trunk call');

  const inside = await sipp(t, inviteExpecting(486), ['-t', 'u1', '-i', '127.0.24.40', '-p', '24040', '-m', '1', '-timeout', '60', '-timeout_error', `${EDGE}:${sipPort}`]).exit;
  t.equal(inside.code, 0, inside.code === 0 ? 'sipp from 127.0.24.40 reached the app' : `sipp: ${inside.errors.slice(0, 1500)} ${inside.stdout.slice(-800)}`);
  t.same(admitted, ['pbx'], 'classified by its ACL network');
});
