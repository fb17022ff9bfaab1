// sipp's own RTP end to end through the daemon: the PBX side's sipp plays Debian's G.711
// A-law recording (g711a.pcap, 236 packets) from its media port and echoes whatever RTP it
// gets (-rtp_echo). At the UC side an RTP endpoint counts the recording's packets, and sends
// its own stream back: that stream crosses rtpengine to sipp, is echoed, and crosses again,
// so its packets coming home (by SSRC) prove the other direction end to end.
import t from 'tap';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { PORTS } from './support/gateway.js';
import { CODECS, RtpPeer } from './support/rtp.js';
import { waitCdrs } from './support/records.js';

const OURS = 0x0c0ffee0;

t.test('sipp plays a pcap through rtpengine; the far side receives it, and its own stream comes back', async (t) => {
  const gw = await twoTrunkGateway(t, 13, { uc: { codecs: ['PCMA', 'telephone-event'] } });
  const phone = await RtpPeer.open(t, gw.addr.gw);
  const callee = await startSipp(t, {
    scenario: 'uas-answer.xml', ip: gw.addr.uc, port: PORTS.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(phone.port), codec: 'PCMA/8000' },
  });
  const caller = await startSipp(t, {
    scenario: 'uac-call-pcap.xml', ip: gw.addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 7000,
    keys: { calling: PBX_NUMBER }, extra: ['-mi', gw.addr.pbx, '-mp', String(PORTS.uac + 10), '-rtp_echo'],
  });
  const offer = await callee.waitEvent('media');
  t.equal(offer.codec, 'PCMA', 'the UC side is offered PCMA, passed through');
  const back = phone.stream({ ip: offer.ip, port: offer.port }, { ...CODECS.PCMA, pt: offer.pt }, 200, OURS);
  const [rc, re] = await Promise.all([caller.done, callee.done]);
  back.stop();
  t.equal(rc.code, 0, `caller: ${sippText(rc)}`);
  t.equal(re.code, 0, `callee: ${sippText(re)}`);
  const recording = [...phone.bySsrc].filter(([s]) => s !== OURS).reduce((n, [, c]) => n + c, 0);
  const echoed = phone.bySsrc.get(OURS) ?? 0;
  t.ok(recording >= 200, `the UC side received ${recording} of the recording's 236 packets (by SSRC: ${JSON.stringify([...phone.bySsrc])})`);
  t.ok(echoed >= 50, `${echoed} of its own 200 packets came back through sipp's echo`);
  t.equal(phone.count(8), phone.count(), 'all of it PCMA');
  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.ok((cdr!.a.rtp?.packetsIn ?? 0) >= 200, `rtpengine counted ${cdr!.a.rtp?.packetsIn} packets from sipp`);
});
