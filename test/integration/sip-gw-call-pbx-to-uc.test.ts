// A call from the PBX trunk to the UC trunk through the real daemon: sipp calls spangate, the
// route sends it to the UC trunk's sipp, rtpengine anchors the media. RTP flows both ways end
// to end (counted at the far side's endpoint, not just signalled), the caller hangs up, and
// the CDR and metrics say what happened.
import t from 'tap';
import { answeredCall, sippText, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { metric, waitCdrs } from './support/records.js';

t.test('pbx → uc: answered, RTP both ways through rtpengine, caller BYE, CDR', async (t) => {
  const gw = await twoTrunkGateway(t, 0);
  const r = await answeredCall(t, gw, { direction: 'pbx-to-uc', packets: 50 });
  t.equal(r.caller.code, 0, `caller sipp: ${sippText(r.caller)}`);
  t.equal(r.callee.code, 0, `callee sipp: ${sippText(r.callee)}`);
  t.equal(r.calleeMedia.ip, gw.addr.gw, 'the callee is told to send media to rtpengine');
  t.equal(r.callerMedia.ip, gw.addr.gw, 'the caller is told to send media to rtpengine');
  t.ok(r.calleeRtp.count(0) >= 50, `callee received ${r.calleeRtp.count(0)} PCMU packets from the caller`);
  t.ok(r.callerRtp.count(0) >= 50, `caller received ${r.callerRtp.count(0)} PCMU packets from the callee`);
  t.equal(r.calleeRtp.source?.ip, gw.addr.gw, 'RTP arrives from rtpengine, not from the caller directly');

  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.cause, 16, 'normal clearing');
  t.equal(cdr!.a.trunk, 'pbx');
  t.equal(cdr!.b?.trunk, 'uc');
  t.equal(cdr!.a.calling, PBX_NUMBER);
  t.equal(cdr!.a.called, UC_NUMBER);
  t.ok(cdr!.route.some((r) => r.includes('uc')), `route ${JSON.stringify(cdr!.route)}`);
  t.equal(cdr!.a.codec, 'PCMU');
  t.equal(cdr!.b?.codec, 'PCMU');
  t.ok((cdr!.a.rtp?.packetsIn ?? 0) >= 50, `rtpengine counted ${cdr!.a.rtp?.packetsIn} packets from the caller`);
  t.ok((cdr!.b?.rtp?.packetsIn ?? 0) >= 50, `rtpengine counted ${cdr!.b?.rtp?.packetsIn} packets from the callee`);
  t.equal(await metric(gw.metricsUrl, 'spangate_calls_answered_total', { trunk: 'pbx' }), 1);
  t.equal(await metric(gw.metricsUrl, 'spangate_calls_active'), 0);
});
