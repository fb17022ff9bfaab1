// Blind transfer handled locally, with media: the PBX caller talks to the UC side, which sends
// REFER to another PBX number; spangate calls it, re-INVITEs the caller with the new party's
// media, and the caller answers the re-INVITE on a NEW port. Its answer must go back into
// rtpengine: the transfer target's RTP then arrives at the caller's new port before the caller
// has sent anything rtpengine could latch onto (and the caller's RTP at the target), counted
// at both ends.
import t from 'tap';
import { RtpPeer, CODECS } from './support/rtp.js';
import { PORTS } from './support/gateway.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { waitCdrs } from './support/records.js';

const TARGET = '+15551009999';

t.test('REFER from the UC side: the caller reaches the target, RTP both ways after the transfer', async (t) => {
  const gw = await twoTrunkGateway(t, 27, { uc: { extra: { refer: 'local' } } });
  const p = PORTS;
  const callerRtp = await RtpPeer.open(t, gw.addr.gw);
  const callerRtp2 = await RtpPeer.open(t, gw.addr.gw);
  const ucRtp = await RtpPeer.open(t, gw.addr.gw);
  const targetRtp = await RtpPeer.open(t, gw.addr.gw);
  const target = await startSipp(t, {
    scenario: 'uas-answer.xml', ip: gw.addr.pbx, port: p.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(targetRtp.port) }, sets: { ring_ms: '100' },
  });
  const uc = await startSipp(t, {
    scenario: 'uas-refer.xml', ip: gw.addr.uc, port: p.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(ucRtp.port), refer_to: TARGET },
  });
  const caller = await startSipp(t, {
    scenario: 'uac-transferred.xml', ip: gw.addr.pbx, port: p.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 8000,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(callerRtp.port), rtp_port2: String(callerRtp2.port) },
  });
  const re = await caller.waitEvent('media', { where: (e) => e.callId.endsWith('-re') });
  const toTarget = await target.waitEvent('media');
  t.equal(re.ip, gw.addr.gw, 'the caller is re-INVITEd toward rtpengine');
  t.equal(toTarget.ip, gw.addr.gw, 'the target is offered rtpengine');
  // The target talks first, the caller not yet: rtpengine has no RTP from the caller to latch
  // onto, so only the caller's answer to the re-INVITE tells it about the new port.
  const b = targetRtp.stream(toTarget, CODECS.PCMU, 150);
  await callerRtp2.waitFor(50, 0);
  t.ok(callerRtp2.count(0) >= 50, `the caller's new port received ${callerRtp2.count(0)} packets from the target`);
  t.equal(callerRtp.count(), 0, 'nothing goes to the caller\'s old port');
  const a = callerRtp2.stream(re, CODECS.PCMU, 150);
  await targetRtp.waitFor(50, 0);
  t.ok(targetRtp.count(0) >= 50, `the target received ${targetRtp.count(0)} packets from the caller`);
  const [cr, ur, tr] = await Promise.all([caller.done, uc.done, target.done]);
  a.stop();
  b.stop();
  t.equal(cr.code, 0, `caller: ${sippText(cr)}`);
  t.equal(ur.code, 0, `UC side: 202, NOTIFY 100/200, BYE: ${sippText(ur)}`);
  t.equal(tr.code, 0, `target: ${sippText(tr)}`);
  const fin = uc.events.find((e) => e.kind === 'final');
  t.equal(fin?.kind === 'final' ? fin.status : 0, 200, 'the transferor heard 200 OK in the final NOTIFY');

  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.b?.trunk, 'pbx', 'B is the transfer target at the end');
  t.equal(cdr!.b?.called, TARGET);
});
