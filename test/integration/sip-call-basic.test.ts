// A SIP⇄SIP call through the gateway on real parts: sipp UAC → SIP edge → srf → SipLeg (UAS)
// → call core → rtpengine → SipLeg (UAC) → sipp UAS. The caller plays PCMA, the callee echoes
// it (sipp -rtp_echo), the caller hangs up with BYE. The call record has both legs, cause 16,
// and rtpengine's packet counts in both directions.
import t from 'tap';
import { runSipp } from '../unit/sip/edge/transaction/mini-uas.js';
import { FakeDirectory, PCAP_PCMA, startGateway, trunk, uacScenario, uasScenario } from '../fixtures/sip-gateway.js';

const IP = '127.0.22.1';
const UAC = '127.0.22.10';
const UAS = '127.0.22.20';

t.test('sipp → gateway → sipp: answered, RTP through rtpengine, BYE from the caller', async (t) => {
  const directory = new FakeDirectory({
    pbx: trunk({}, [UAC]),
    carrier: trunk({ numberFormat: 'national' }, [UAS], [{ host: UAS, port: 22020 }]),
  });
  const rig = await startGateway(t, { ip: IP, ngPort: 22001, rtp: [22100, 22199], sipPort: 22060, directory, to: 'carrier' });
  const uas = runSipp(uasScenario(200), ['-t', 'u1', '-i', UAS, '-p', '22020', '-mp', '22610', '-rtp_echo', '-m', '1', '-timeout', '60', '-timeout_error'], 90_000);
  const uac = await runSipp(uacScenario({ answered: true, holdMs: 3000, pcap: PCAP_PCMA }),
    ['-t', 'u1', '-i', UAC, '-p', '22010', '-mp', '22600', '-m', '1', '-timeout', '60', '-timeout_error', `${IP}:${rig.edgePort}`], 90_000);
  const uasRes = await uas;
  t.equal(uac.code, 0, `caller's sipp succeeded ${uac.errors.slice(0, 1500)}`);
  t.equal(uasRes.code, 0, `callee's sipp succeeded ${uasRes.errors.slice(0, 1500)}`);
  const rec = await rig.nextRecord();
  t.equal(rec.disposition, 'answered');
  t.equal(rec.cause, 16);
  t.equal(rec.endedBy, 'a', 'the caller hung up');
  t.equal(rec.a.trunk, 'pbx');
  t.equal(rec.a.calling, '+4930555100');
  t.equal(rec.a.called, '+4930555200');
  t.equal(rec.b?.trunk, 'carrier');
  t.equal(rec.b?.called, '030555200', 'the carrier trunk got the national format');
  const m = rec.media;
  t.ok(m, 'the record has rtpengine stats');
  t.ok(m && m.a.packetsIn >= 50, `rtpengine received the caller's RTP (${m?.a.packetsIn})`);
  t.ok(m && m.b.packetsIn >= 50, `the callee echoed it back through rtpengine (${m?.b.packetsIn})`);
  t.ok(m && m.a.packetsOut >= 50, `and rtpengine sent it on to the caller (${m?.a.packetsOut})`);
  t.same(directory.reports.map((r) => r.outcome), ['ok'], 'the next hop was reported healthy');
  t.equal(rig.registry.size, 0, 'no call left in the registry');
});
