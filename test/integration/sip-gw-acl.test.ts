// Source-address ACL: an INVITE from an address that belongs to no trunk gets 403 and is
// counted; the trunk's own callee never sees it, and a call from the PBX's address still works.
import t from 'tap';
import { answeredCall, failingCall, sippText, twoTrunkGateway, UC_NUMBER } from './support/calls.js';
import { metric, readCdrs } from './support/records.js';

t.test('an INVITE from outside every trunk ACL gets 403; a trunk peer still gets through', async (t) => {
  const gw = await twoTrunkGateway(t, 9);
  const { status, result } = await failingCall(t, gw, { from: 'stranger', called: UC_NUMBER });
  t.equal(result.code, 0, `stranger's sipp got a final response: ${sippText(result)}`);
  t.equal(status, 403, 'refused with 403 Forbidden');
  t.equal(readCdrs(gw.cdrFile).length, 0, 'no call was created for it');
  t.equal(await metric(gw.metricsUrl, 'spangate_sip_acl_rejected_total'), 1, 'the refusal is counted');

  const r = await answeredCall(t, gw, { direction: 'pbx-to-uc', talkMs: 2000 });
  t.equal(r.caller.code, 0, `a call from the PBX trunk's address: ${sippText(r.caller)}`);
  t.ok(r.calleeRtp.count(0) >= 50, 'with media');
});
