// sipp (UAC, TCP, one connection for all calls) calls a minimal UAS built on the edge
// transport + transaction layers: framing on a real stream, responses on the same connection,
// no retransmissions on a reliable transport.
import t from 'tap';
import { MiniUas, runSipp, uacCallScenario } from '../unit/sip/edge/transaction/mini-uas.js';

const UAS_ADDR = '127.0.2.1';
const SIPP_ADDR = '127.0.2.11';

const UAC_SCENARIO = uacCallScenario('uac over tcp');

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
