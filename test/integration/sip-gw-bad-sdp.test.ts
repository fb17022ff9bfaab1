// A malformed SDP gets 488 and nothing else is disturbed: while a call is up with RTP flowing,
// a second INVITE from the same trunk carries an SDP whose m= line has no port and whose c=
// line has no address. It is refused with 488 Not Acceptable Here, and the first call keeps
// its media both ways and ends normally.
import t from 'tap';
import { answeredCall, failingCall, sippText, twoTrunkGateway, UC_NUMBER } from './support/calls.js';
import { PORTS } from './support/gateway.js';
import { waitCdrs } from './support/records.js';

t.test('malformed SDP → 488 while a parallel call keeps flowing', async (t) => {
  const gw = await twoTrunkGateway(t, 10);
  let refused = 0;
  let after = { uc: 0, pbx: 0 };
  const r = await answeredCall(t, gw, {
    direction: 'pbx-to-uc', talkMs: 6000, packets: 100,
    during: async ({ callerRtp, calleeRtp }) => {
      await Promise.all([calleeRtp.waitFor(25, 0), callerRtp.waitFor(25, 0)]);
      const bad = await failingCall(t, gw, { from: 'pbx', called: UC_NUMBER, port: PORTS.uac + 1, keys: { rtp_ip: 'nowhere', rtp_port: 'x' } });
      t.equal(bad.result.code, 0, `malformed INVITE answered: ${sippText(bad.result)}`);
      refused = bad.status;
      const at = { uc: calleeRtp.count(0), pbx: callerRtp.count(0) };
      await Promise.all([calleeRtp.waitFor(at.uc + 25, 0), callerRtp.waitFor(at.pbx + 25, 0)]);
      after = { uc: calleeRtp.count(0) - at.uc, pbx: callerRtp.count(0) - at.pbx };
    },
  });
  t.equal(refused, 488, 'the malformed offer got 488');
  t.ok(after.uc >= 25 && after.pbx >= 25, `the other call's RTP kept flowing both ways: ${JSON.stringify(after)}`);
  t.equal(r.caller.code, 0, `the other call ended normally: ${sippText(r.caller)}`);
  t.equal(r.callee.code, 0, `callee: ${sippText(r.callee)}`);
  const rows = await waitCdrs(gw.cdrFile, 1, (row) => row.disposition === 'answered');
  t.equal(rows[0]!.cause, 16);
});
