// Blind transfer by the UC side, handled locally: the callee (a trunk with refer 'local') sends
// REFER; the gateway answers 202, NOTIFYs 100 Trying, places a call to the Refer-To number on
// its trunk, re-INVITEs the caller with the new media, NOTIFYs 200 OK, and the UC side leaves
// with BYE. The caller then talks to the transfer target and hangs up; the record has the transfer.
import t from 'tap';
import { runSipp } from '../unit/sip/edge/transaction/mini-uas.js';
import { FakeDirectory, GOOD_SDP, startGateway, trunk, uasScenario } from '../fixtures/sip-gateway.js';

const IP = '127.0.22.6';
const CALLER = '127.0.22.16';
const UC = '127.0.22.26';
const TARGET = '127.0.22.27';

const ok = (extra = ''): string => `<send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port]>
${extra}
    ]]></send>`;

const SDP_BODY = `      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 2 2 IN IP4 [media_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000`;

const CALLER_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller transferred">
  <send retrans="500"><![CDATA[
      INVITE sip:+4930555200@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+4930555100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:+4930555200@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

${GOOD_SDP}
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
      ACK sip:+4930555200@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+4930555100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:+4930555200@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv request="INVITE"/>
  ${ok(SDP_BODY)}
  <recv request="ACK"/>
  <pause milliseconds="500"/>
  <send retrans="500"><![CDATA[
      BYE sip:+4930555200@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+4930555100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:+4930555200@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200"/>
</scenario>
`;

const UC_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uc transfers">
  <recv request="INVITE" rrs="true"/>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:uc@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=uc 1 1 IN IP4 [media_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000
    ]]></send>
  <recv request="ACK">
    <action><ereg regexp=".*" search_in="hdr" header="From:" assign_to="gw"/></action>
  </recv>
  <send retrans="500"><![CDATA[
      REFER [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:uc@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: [$gw]
      Call-ID: [call_id]
      CSeq: 1 REFER
      Contact: <sip:uc@[local_ip]:[local_port]>
      Refer-To: <sip:300@[local_ip]>
      Referred-By: <sip:uc@[local_ip]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="202"/>
  <recv request="NOTIFY">
    <action><ereg regexp="SIP/2.0 100" search_in="body" check_it="true" assign_to="trying"/></action>
  </recv>
  ${ok('      Content-Length: 0\n')}
  <recv request="NOTIFY">
    <action><ereg regexp="SIP/2.0 200" search_in="body" check_it="true" assign_to="done"/></action>
  </recv>
  ${ok('      Content-Length: 0\n')}
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:uc@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: [$gw]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200"/>
  <Reference variables="gw,trying,done"/>
</scenario>
`;

t.test('REFER from the UC side: 202, NOTIFY 100/200, caller re-INVITEd and connected to the target', async (t) => {
  const directory = new FakeDirectory({
    pbx: trunk({}, [CALLER]),
    uc: trunk({ refer: 'local' }, [UC], [{ host: UC, port: 22026 }]),
    target: trunk({ numberFormat: 'as-is' }, [TARGET], [{ host: TARGET, port: 22027 }]),
  });
  const rig = await startGateway(t, {
    ip: IP, ngPort: 22006, rtp: [22900, 22999], sipPort: 22065, directory, to: 'uc', routeTo: (called) => (called === '300' ? 'target' : 'uc'),
  });
  const target = runSipp(uasScenario(200), ['-t', 'u1', '-i', TARGET, '-p', '22027', '-mp', '22880', '-m', '1', '-timeout', '60', '-timeout_error'], 90_000);
  const uc = runSipp(UC_SCENARIO, ['-t', 'u1', '-i', UC, '-p', '22026', '-mp', '22870', '-m', '1', '-timeout', '60', '-timeout_error'], 90_000);
  const caller = await runSipp(CALLER_SCENARIO, ['-t', 'u1', '-i', CALLER, '-p', '22016', '-mp', '22860', '-m', '1', '-timeout', '60', '-timeout_error', `${IP}:${rig.edgePort}`], 90_000);
  const [ucRes, targetRes] = await Promise.all([uc, target]);
  t.equal(ucRes.code, 0, `UC side: 202, NOTIFY 100 and 200, BYE ${ucRes.errors.slice(0, 1500)}`);
  t.equal(caller.code, 0, `caller: answered, re-INVITEd, BYE ${caller.errors.slice(0, 1500)}`);
  t.equal(targetRes.code, 0, `transfer target: answered, BYE from the caller's hangup ${targetRes.errors.slice(0, 1500)}`);
  const rec = await rig.nextRecord();
  t.equal(rec.disposition, 'answered');
  t.equal(rec.endedBy, 'a');
  t.equal(rec.b?.trunk, 'target', 'B is the transfer target at the end');
  t.equal(rec.b?.called, '300');
  t.same(rec.transfers, [{ from: 'b', to: '300', kind: 'blind', trunk: 'target' }]);
});
