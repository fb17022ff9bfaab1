// Hold and resume by re-INVITE on a real call: the PBX side sends a=sendonly; spangate
// passes the hold through rtpengine to the UC side, which answers a=recvonly, and that answer
// goes back; then a=sendrecv resumes. RTP flows before the hold and again after the resume.
import t from 'tap';
import { answeredCall, sippText, twoTrunkGateway } from './support/calls.js';
import { waitCdrs } from './support/records.js';

t.test('re-INVITE hold (sendonly → recvonly) and resume (sendrecv) end to end', async (t) => {
  const gw = await twoTrunkGateway(t, 8);
  // uac-hold.xml: talk, hold, talk, resume, talk, BYE; each <pause/> is 2 s; streams last 9 s.
  let afterResume = { uc: 0, pbx: 0 };
  const r = await answeredCall(t, gw, {
    direction: 'pbx-to-uc', uac: 'uac-hold.xml', talkMs: 2000, packets: 150,
    during: async ({ callerSipp, callerRtp, calleeRtp }) => {
      await callerSipp.waitEvent('answered', { where: (e) => e.direction === 'sendrecv' });
      const at = { uc: calleeRtp.count(0), pbx: callerRtp.count(0) };
      await Promise.all([calleeRtp.waitFor(at.uc + 25, 0), callerRtp.waitFor(at.pbx + 25, 0)]);
      afterResume = { uc: calleeRtp.count(0) - at.uc, pbx: callerRtp.count(0) - at.pbx };
    },
  });
  t.ok(afterResume.uc >= 25 && afterResume.pbx >= 25, `RTP both ways after the resume: ${JSON.stringify(afterResume)}`);
  t.equal(r.caller.code, 0, `caller (checks a=recvonly then a=sendrecv in the answers): ${sippText(r.caller)}`);
  t.equal(r.callee.code, 0, `callee: ${sippText(r.callee)}`);
  const reinvites = r.calleeSipp.events.filter((e) => e.kind === 'reinvite').map((e) => (e as { direction: string }).direction);
  t.same(reinvites, ['sendonly', 'sendrecv'], 'the UC side saw the hold and the resume');
  const answers = r.callerSipp.events.filter((e) => e.kind === 'answered').map((e) => (e as { direction: string }).direction);
  t.same(answers, ['recvonly', 'sendrecv'], 'the PBX side got the UC side\'s answers');
  t.ok(r.calleeRtp.count(0) >= 50, `UC side received ${r.calleeRtp.count(0)} packets`);
  t.ok(r.callerRtp.count(0) >= 50, `PBX side received ${r.callerRtp.count(0)} packets`);
  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.cause, 16);
});
