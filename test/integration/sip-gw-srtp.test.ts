// SRTP on one side against a real SRTP endpoint: the UC trunk requires SRTP (SDES
// AES_CM_128_HMAC_SHA1_80), the PBX trunk is plain RTP. Debian's sipp has no SRTP, so the UC
// side's media is a second, independent rtpengine process acting as the SRTP phone: its own
// keys and ports go into the UC sipp's answer, and it decrypts what spangate's rtpengine
// encrypts (and the reverse) for a plain RTP endpoint behind it. Packets counted at both
// plain endpoints prove both SRTP directions authenticated and decrypted end to end.
import t from 'tap';
import { RtpengineRelay } from '../../src/media/rtpengine-relay.js';
import { startRtpengine, sdp, target, PCMU } from './rtpengine-harness.test.js';
import { sippText, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { PORTS } from './support/gateway.js';
import { CODECS, RtpPeer } from './support/rtp.js';
import { Sipp } from './support/sipp.js';
import { waitCdrs } from './support/records.js';

const SUITE = 'AES_CM_128_HMAC_SHA1_80';

t.test('plain PBX ⇄ SRTP UC: offer carries SDES, both directions decrypt at the far end', async (t) => {
  const gw = await twoTrunkGateway(t, 5, { uc: { srtp: 'required', extra: { srtpSuites: [SUITE] } } });
  // The UC phone: a plain endpoint behind a second rtpengine that speaks SRTP toward spangate.
  const { sup } = await startRtpengine(t, { ip: gw.addr.uc, ngPort: PORTS.ng + 1, portMin: 23600, portMax: 23699 });
  const phoneRelay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
  const phone = await RtpPeer.open(t, gw.addr.uc);
  const pbx = await RtpPeer.open(t, gw.addr.gw);
  const session = phoneRelay.createSession('uc-phone');
  t.teardown(() => session.close().then(() => undefined, () => undefined));
  const phoneOut = target(await session.offer({
    sdp: sdp(gw.addr.uc, phone.port, [PCMU]), from: 'a',
    fromLeg: { transport: 'RTP/AVP' }, toLeg: { transport: 'RTP/SAVP', srtpSuites: [SUITE] },
  }));
  t.equal(phoneOut.proto, 'RTP/SAVP');
  const phoneCrypto = phoneOut.crypto[0]!;

  const callee = await Sipp.start(t, {
    scenario: 'uas-answer-srtp.xml', ip: gw.addr.uc, port: PORTS.uas, calls: 1,
    keys: { rtp_ip: phoneOut.ip, rtp_port: String(phoneOut.port), pt: '0', codec: 'PCMU/8000', crypto: `1 ${phoneCrypto.suite} ${phoneCrypto.keyParams}` },
  });
  const caller = await Sipp.start(t, {
    scenario: 'uac-call.xml', ip: gw.addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 5000,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(pbx.port) },
  });
  const offered = await callee.waitEvent('media');
  const crypto = await callee.waitEvent('crypto');
  t.equal(offered.proto, 'RTP/SAVP', 'spangate offers SRTP to the UC trunk');
  t.match(crypto.line, new RegExp(`^1 ${SUITE} inline:`), 'with the one allowed SDES suite');
  // The phone learns spangate's SRTP address and key: that is its answer.
  const phoneIn = target(await session.answer({
    sdp: sdp(offered.ip, offered.port, [PCMU], { proto: 'RTP/SAVP', crypto: crypto.line }), from: 'b',
  }));
  const answered = await caller.waitEvent('media');
  t.equal(answered.ip, gw.addr.gw, 'the PBX side gets rtpengine plain RTP');

  const a = pbx.stream({ ip: answered.ip, port: answered.port }, CODECS.PCMU, 150);
  const b = phone.stream({ ip: phoneIn.ip, port: phoneIn.port }, CODECS.PCMU, 150);
  await Promise.all([phone.waitFor(50, 0), pbx.waitFor(50, 0)]);
  t.ok(phone.count(0) >= 50, `the SRTP phone decrypted ${phone.count(0)} packets from the PBX side`);
  t.ok(pbx.count(0) >= 50, `the PBX side received ${pbx.count(0)} packets from the SRTP phone`);
  const [rc, re] = await Promise.all([caller.done, callee.done]);
  a.stop();
  b.stop();
  t.equal(rc.code, 0, `caller: ${sippText(rc)}`);
  t.equal(re.code, 0, `callee: ${sippText(re)}`);
  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.ok((cdr!.b?.rtp?.packetsIn ?? 0) >= 50, 'spangate\'s rtpengine accepted the SRTP packets');
});
