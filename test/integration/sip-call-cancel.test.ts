// The caller gives up while the callee rings: sipp UAC sends CANCEL after 180, gets 200 and
// 487; the gateway CANCELs the outbound INVITE (sipp UAS sees CANCEL, answers 487); the call
// record says cancelled, ended by the caller.
import t from 'tap';
import { runSipp } from '../unit/sip/edge/transaction/mini-uas.js';
import { FakeDirectory, startGateway, trunk, uacScenario, uasScenario } from '../fixtures/sip-gateway.js';

const IP = '127.0.22.3';
const UAC = '127.0.22.12';
const UAS = '127.0.22.22';

t.test('CANCEL from the caller is carried to the callee; the record says cancelled', async (t) => {
  const directory = new FakeDirectory({
    pbx: trunk({}, [UAC]),
    carrier: trunk({}, [UAS], [{ host: UAS, port: 22022 }]),
  });
  const rig = await startGateway(t, { ip: IP, ngPort: 22003, rtp: [22300, 22399], sipPort: 22062, directory, to: 'carrier' });
  const uas = runSipp(uasScenario(487, { expectCancel: true }), ['-t', 'u1', '-i', UAS, '-p', '22022', '-mp', '22650', '-m', '1', '-timeout', '60', '-timeout_error'], 90_000);
  const uac = await runSipp(uacScenario({ cancel: true }), ['-t', 'u1', '-i', UAC, '-p', '22012', '-mp', '22640', '-m', '1', '-timeout', '60', '-timeout_error', `${IP}:${rig.edgePort}`], 90_000);
  const uasRes = await uas;
  t.equal(uac.code, 0, `caller: 180, CANCEL, 200, 487 ${uac.errors.slice(0, 1500)}`);
  t.equal(uasRes.code, 0, `callee saw the CANCEL ${uasRes.errors.slice(0, 1500)}`);
  const rec = await rig.nextRecord();
  t.equal(rec.disposition, 'cancelled');
  t.equal(rec.endedBy, 'a');
  t.equal(rec.cause, 16, 'CANCEL without a Reason: cause 16 (RFC 3398 487)');
  t.equal(rig.relay.sessionCount, 0, 'media session released');
});
