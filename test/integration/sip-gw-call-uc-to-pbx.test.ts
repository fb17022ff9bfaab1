// A call the other way, from the UC trunk to the PBX trunk, which the called side (the PBX's
// sipp) ends with its own BYE: RTP flows both ways through rtpengine, the BYE reaches the
// caller, and the CDR says the called leg hung up.
import t from 'tap';
import { answeredCall, sippText, twoTrunkGateway, PBX_NUMBER } from './support/calls.js';
import { waitCdrs } from './support/records.js';

t.test('uc → pbx: answered, RTP both ways, the called side hangs up', async (t) => {
  const gw = await twoTrunkGateway(t, 1);
  const r = await answeredCall(t, gw, {
    direction: 'uc-to-pbx', uas: 'uas-bye.xml', uac: 'uac-remote-bye.xml', calleeSets: { ring_ms: '200', talk_ms: '4000' },
  });
  t.equal(r.caller.code, 0, `caller sipp (got the BYE): ${sippText(r.caller)}`);
  t.equal(r.callee.code, 0, `callee sipp (its BYE answered): ${sippText(r.callee)}`);
  t.ok(r.calleeRtp.count(0) >= 50, `callee received ${r.calleeRtp.count(0)} PCMU packets`);
  t.ok(r.callerRtp.count(0) >= 50, `caller received ${r.callerRtp.count(0)} PCMU packets`);

  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.cause, 16);
  t.equal(cdr!.a.trunk, 'uc');
  t.equal(cdr!.b?.trunk, 'pbx');
  t.equal(cdr!.a.called, PBX_NUMBER);
  t.equal(cdr!.endedBy, 'b', 'the called leg ended the call');
  t.ok((cdr!.a.rtp?.packetsIn ?? 0) >= 50 && (cdr!.b?.rtp?.packetsIn ?? 0) >= 50, 'rtpengine counted both directions');
});
