// Hold and resume by re-INVITE through the gateway: the caller re-INVITEs with a=sendonly; the
// offer goes through rtpengine to the callee as a re-INVITE that still says sendonly; the
// callee's recvonly answer comes back to the caller; then resume with sendrecv the same way.
import t from 'tap';
import { runSipp } from '../unit/sip/edge/transaction/mini-uas.js';
import { FakeDirectory, GOOD_SDP, startGateway, trunk, uasScenario } from '../fixtures/sip-gateway.js';

const IP = '127.0.22.7';
const UAC = '127.0.22.17';
const UAS = '127.0.22.28';

const req = (method: string, cseq: number, sdp?: string): string => `<send retrans="500"><![CDATA[
      ${method} sip:+4930555200@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+4930555100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:+4930555200@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:uac@[local_ip]:[local_port]>
      Max-Forwards: 70
${sdp === undefined ? '      Content-Length: 0\n' : `      Content-Type: application/sdp\n      Content-Length: [len]\n\n${sdp}`}
    ]]></send>`;

const ack = (cseq: number): string => req('ACK', cseq).replace(' retrans="500"', '');
const offer = (version: number, dir: string): string => `${GOOD_SDP.replace('o=uac 1 1', `o=uac 1 ${version}`)}\n      a=${dir}`;

const CALLER = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller holds and resumes">
  ${req('INVITE', 1, GOOD_SDP)}
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  ${ack(1)}
  ${req('INVITE', 2, offer(2, 'sendonly'))}
  <recv response="100" optional="true"/>
  <recv response="200">
    <action><ereg regexp="a=recvonly" search_in="body" check_it="true" assign_to="held"/></action>
  </recv>
  ${ack(2)}
  ${req('INVITE', 3, offer(3, 'sendrecv'))}
  <recv response="100" optional="true"/>
  <recv response="200">
    <action><ereg regexp="a=sendrecv" search_in="body" check_it="true" assign_to="resumed"/></action>
  </recv>
  ${ack(3)}
  ${req('BYE', 4)}
  <recv response="200"/>
  <Reference variables="held,resumed"/>
</scenario>
`;

const reinviteAnswer = (version: number, dir: string): string => `<recv request="INVITE">
    <action><ereg regexp="a=${dir === 'recvonly' ? 'sendonly' : 'sendrecv'}" search_in="body" check_it="true" assign_to="d${version}"/></action>
  </recv>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:uas@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=uas 1 ${version} IN IP4 [media_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000
      a=${dir}
    ]]></send>
  <recv request="ACK"/>`;

t.test('hold and resume by re-INVITE pass through the gateway and rtpengine', async (t) => {
  const directory = new FakeDirectory({
    pbx: trunk({}, [UAC]),
    carrier: trunk({}, [UAS], [{ host: UAS, port: 22028 }]),
  });
  const rig = await startGateway(t, { ip: IP, ngPort: 22007, rtp: [22500, 22559], sipPort: 22066, directory, to: 'carrier' });
  const callee = uasScenario(200).replace('<recv request="BYE"/>', `${reinviteAnswer(2, 'recvonly')}
  ${reinviteAnswer(3, 'sendrecv')}
  <recv request="BYE"/>`).replace('</scenario>', '  <Reference variables="d2,d3"/>\n</scenario>');
  const uas = runSipp(callee, ['-t', 'u1', '-i', UAS, '-p', '22028', '-mp', '22580', '-m', '1', '-timeout', '60', '-timeout_error'], 90_000);
  const uac = await runSipp(CALLER, ['-t', 'u1', '-i', UAC, '-p', '22017', '-mp', '22570', '-m', '1', '-timeout', '60', '-timeout_error', `${IP}:${rig.edgePort}`], 90_000);
  const uasRes = await uas;
  t.equal(uac.code, 0, `caller: hold answered recvonly, resume answered sendrecv ${uac.errors.slice(0, 1500)}`);
  t.equal(uasRes.code, 0, `callee: re-INVITEs with sendonly then sendrecv ${uasRes.errors.slice(0, 1500)}`);
  const rec = await rig.nextRecord();
  t.equal(rec.disposition, 'answered');
  t.equal(rec.endedBy, 'a');
});
