// Late offer through the real daemon: the PBX's sipp sends an INVITE without SDP; spangate
// invites the UC side without SDP too, the UC side's 200 carries the offer, rtpengine anchors
// it, the caller gets rtpengine's offer in our 200 and answers in its ACK, and that answer goes
// through rtpengine to the UC side in its ACK. RTP then flows both ways through rtpengine
// (counted at each far end), and the call ends normally.
import t from 'tap';
import { RtpPeer, CODECS } from './support/rtp.js';
import { PORTS } from './support/gateway.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { waitCdrs } from './support/records.js';

t.test('late offer pbx → uc: offer from the callee\'s 200, answer in the ACKs, RTP both ways', async (t) => {
  const gw = await twoTrunkGateway(t, 23);
  const callerRtp = await RtpPeer.open(t, gw.addr.gw);
  const calleeRtp = await RtpPeer.open(t, gw.addr.gw);
  const callee = await startSipp(t, {
    scenario: 'uas-late-offer.xml', ip: gw.addr.uc, port: PORTS.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(calleeRtp.port), pt: '0', codec: 'PCMU/8000' },
  });
  const caller = await startSipp(t, {
    scenario: 'uac-late-offer.xml', ip: gw.addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1,
    called: UC_NUMBER, pauseMs: 4000,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(callerRtp.port), pt: '0', codec: 'PCMU/8000' },
    sets: { ack_mode: '0' },
  });
  const invite = await callee.waitEvent('invite');
  t.equal(invite.contentLength, 0, 'the outbound INVITE carries no offer either');
  // The caller learns rtpengine's address from our 200 (the offer), the callee from its ACK (the answer).
  const callerMedia = await caller.waitEvent('media');
  const calleeMedia = await callee.waitEvent('media');
  t.equal(callerMedia.ip, gw.addr.gw, 'the offer in our 200 points the caller at rtpengine');
  t.equal(calleeMedia.ip, gw.addr.gw, 'the answer in the callee\'s ACK points it at rtpengine');
  t.not(calleeMedia.port, 0);
  const a = callerRtp.stream({ ip: callerMedia.ip, port: callerMedia.port }, CODECS.PCMU, 150);
  const b = calleeRtp.stream({ ip: calleeMedia.ip, port: calleeMedia.port }, CODECS.PCMU, 150);
  await Promise.all([calleeRtp.waitFor(50, 0), callerRtp.waitFor(50, 0)]);
  const [cr, ce] = await Promise.all([caller.done, callee.done]);
  a.stop();
  b.stop();
  t.equal(cr.code, 0, `caller: ${sippText(cr)}`);
  t.equal(ce.code, 0, `callee: ${sippText(ce)}`);
  t.ok(calleeRtp.count(0) >= 50, `callee received ${calleeRtp.count(0)} PCMU packets from the caller`);
  t.ok(callerRtp.count(0) >= 50, `caller received ${callerRtp.count(0)} PCMU packets from the callee`);
  t.equal(calleeRtp.source?.ip, gw.addr.gw, 'RTP comes from rtpengine');

  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.cause, 16);
  t.equal(cdr!.a.trunk, 'pbx');
  t.equal(cdr!.b?.trunk, 'uc');
  t.ok((cdr!.a.rtp?.packetsIn ?? 0) >= 50, `rtpengine counted ${cdr!.a.rtp?.packetsIn} packets from the caller`);
  t.ok((cdr!.b?.rtp?.packetsIn ?? 0) >= 50, `rtpengine counted ${cdr!.b?.rtp?.packetsIn} packets from the callee`);
});
