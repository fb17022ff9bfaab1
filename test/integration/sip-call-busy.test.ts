// A busy callee through the gateway: the sipp UAS answers 486, the sipp UAC receives 486 with
// a Q.850 Reason (cause 17), and the call record says busy with cause 17 and the failed attempt.
import t from 'tap';
import { runSipp } from '../unit/sip/edge/transaction/mini-uas.js';
import { FakeDirectory, startGateway, trunk, uacScenario, uasScenario } from '../fixtures/sip-gateway.js';

const IP = '127.0.22.2';
const UAC = '127.0.22.11';
const UAS = '127.0.22.21';

t.test('486 from the callee reaches the caller as 486; the record has cause 17', async (t) => {
  const directory = new FakeDirectory({
    pbx: trunk({}, [UAC]),
    carrier: trunk({}, [UAS], [{ host: UAS, port: 22021 }]),
  });
  const rig = await startGateway(t, { ip: IP, ngPort: 22002, rtp: [22200, 22299], sipPort: 22061, directory, to: 'carrier' });
  const uas = runSipp(uasScenario(486), ['-t', 'u1', '-i', UAS, '-p', '22021', '-mp', '22630', '-m', '1', '-timeout', '60', '-timeout_error'], 90_000);
  const scenario = uacScenario({ expect: 486 }).replace('<recv response="486"/>', `<recv response="486">
    <action>
      <ereg regexp="Q\\.850;cause=17" search_in="hdr" header="Reason:" check_it="true" assign_to="reason"/>
      <log message="Reason [$reason]"/>
    </action>
  </recv>`);
  const uac = await runSipp(scenario, ['-t', 'u1', '-i', UAC, '-p', '22011', '-mp', '22620', '-m', '1', '-timeout', '60', '-timeout_error', `${IP}:${rig.edgePort}`], 90_000);
  const uasRes = await uas;
  t.equal(uac.code, 0, `caller got 486 with a Q.850 Reason ${uac.errors.slice(0, 1500)}`);
  t.equal(uasRes.code, 0, `callee's sipp succeeded ${uasRes.errors.slice(0, 1500)}`);
  const rec = await rig.nextRecord();
  t.equal(rec.disposition, 'busy');
  t.equal(rec.cause, 17);
  t.equal(rec.endedBy, 'b');
  t.same(rec.attempts.map((a) => [a.trunk, a.cause]), [['carrier', 17]]);
  t.match(rec.attempts[0]?.detail ?? '', /^486/);
});
