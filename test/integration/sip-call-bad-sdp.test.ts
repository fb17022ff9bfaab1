// A malformed SDP offer gets 488 with a Warning while another call through the same gateway
// stays up: the bad INVITE never becomes a call, the good call keeps its RTP and ends normally.
import t from 'tap';
import { runSipp } from '../unit/sip/edge/transaction/mini-uas.js';
import { FakeDirectory, PCAP_PCMA, startGateway, trunk, uacScenario, uasScenario } from '../fixtures/sip-gateway.js';

const IP = '127.0.22.4';
const UAC = '127.0.22.13';
const BAD_UAC = '127.0.22.15';
const UAS = '127.0.22.23';

const BAD_SDP = `      v=0
      o=uac 1 1 IN IP4 [media_ip]
      s=-
      c=IN IP4 999.1.2.3
      t=0 0
      m=audio [media_port] RTP/AVP 8`;

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('malformed SDP → 488 with Warning; the call already up is not affected', async (t) => {
  const directory = new FakeDirectory({
    pbx: trunk({}, [UAC, BAD_UAC]),
    carrier: trunk({}, [UAS], [{ host: UAS, port: 22023 }]),
  });
  const rig = await startGateway(t, { ip: IP, ngPort: 22004, rtp: [22400, 22499], sipPort: 22063, directory, to: 'carrier' });
  const uas = runSipp(uasScenario(200), ['-t', 'u1', '-i', UAS, '-p', '22023', '-mp', '22670', '-rtp_echo', '-m', '1', '-timeout', '60', '-timeout_error'], 90_000);
  const good = runSipp(uacScenario({ answered: true, holdMs: 6000, pcap: PCAP_PCMA }),
    ['-t', 'u1', '-i', UAC, '-p', '22013', '-mp', '22660', '-m', '1', '-timeout', '60', '-timeout_error', `${IP}:${rig.edgePort}`], 90_000);
  await until('the good call to be answered', () => rig.registry.list().some((c) => c.state === 'answered'));
  const bad = uacScenario({ expect: 488 }, BAD_SDP).replace('<recv response="488"/>', `<recv response="488">
    <action>
      <ereg regexp="399 spangate &quot;SDP line 4" search_in="hdr" header="Warning:" check_it="true" assign_to="warning"/>
      <log message="Warning [$warning]"/>
    </action>
  </recv>`);
  const badRes = await runSipp(bad, ['-t', 'u1', '-i', BAD_UAC, '-p', '22015', '-mp', '22680', '-m', '1', '-timeout', '30', '-timeout_error', `${IP}:${rig.edgePort}`], 60_000);
  t.equal(badRes.code, 0, `the malformed offer got 488 with a Warning ${badRes.errors.slice(0, 1500)}`);
  const live = rig.registry.list();
  t.equal(live.length, 1, 'only the good call exists');
  t.equal(live[0]?.state, 'answered', 'and it is still answered');
  const [goodRes, uasRes] = await Promise.all([good, uas]);
  t.equal(goodRes.code, 0, `good call completed ${goodRes.errors.slice(0, 1500)}`);
  t.equal(uasRes.code, 0, `callee completed ${uasRes.errors.slice(0, 1500)}`);
  const rec = await rig.nextRecord();
  t.equal(rec.disposition, 'answered');
  t.equal(rec.cause, 16);
  t.ok(rec.media && rec.media.b.packetsIn >= 100, `RTP kept flowing (${rec.media?.b.packetsIn} echoed packets)`);
  t.equal(rig.records.length, 0, 'no record for the refused INVITE');
});
