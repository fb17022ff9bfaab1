// An SRTP phone on the UC trunk calling the PBX, for the SRTP test. Debian's sipp has no SRTP,
// so the phone's media is a second, independent rtpengine process: its SDES key and port go
// into the UC sipp's offer (uac-call-srtp.xml), it learns spangate's key and port from the
// answer the sipp logged, and it turns the SRTP into plain RTP for an endpoint behind it (and
// back). sip-gw-srtp offers it over UDP to an `optional` trunk; sip-gw-tls-srtp sends the same
// call through a Kamailio TLS front to a trunk that requires SRTP.
// Packets counted at the plain endpoints on both sides prove that both SRTP directions were
// authenticated and decrypted end to end.
import type { Test } from 'tap';
import { RtpengineRelay } from '../../../src/media/rtpengine-relay.js';
import { startRtpengine, sdp, target, PCMU } from '../rtpengine-harness.test.js';
import { sippText, startSipp, PBX_NUMBER, UC_NUMBER, type SipTarget } from './calls.js';
import { PORTS } from './gateway.js';
import { CODECS, RtpPeer } from './rtp.js';

export const SUITE = 'AES_CM_128_HMAC_SHA1_80';

export interface SrtpCallOptions {
  /** The phone's sipp: its address and where it sends (default the UC address, to the gateway). */
  caller?: { ip?: string; target?: string };
  /** The PBX's sipp (default UDP on the PBX address). */
  callee?: { transport?: 'udp' | 'tcp'; replace?: [string, string][] };
}

export async function srtpCall(t: Test, gw: SipTarget, o: SrtpCallOptions = {}): Promise<void> {
  const { sup } = await startRtpengine(t, { ip: gw.addr.uc, ngPort: PORTS.ng + 1, portMin: 23600, portMax: 23699 });
  const phoneRelay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
  const phone = await RtpPeer.open(t, gw.addr.uc);
  const pbx = await RtpPeer.open(t, gw.addr.gw);
  const session = phoneRelay.createSession('uc-phone');
  t.teardown(() => session.close().then(() => undefined, () => undefined));
  // The phone's offer: its SRTP address and key, made by the second rtpengine.
  const phoneOut = target(await session.offer({
    sdp: sdp(gw.addr.uc, phone.port, [PCMU]), from: 'a',
    fromLeg: { transport: 'RTP/AVP' }, toLeg: { transport: 'RTP/SAVP', srtpSuites: [SUITE] },
  }));
  const phoneCrypto = phoneOut.crypto[0]!;
  t.equal(phoneOut.proto, 'RTP/SAVP');

  const callee = await startSipp(t, {
    scenario: 'uas-answer.xml', ip: gw.addr.pbx, port: PORTS.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(pbx.port), codec: 'PCMU/8000' }, sets: { ring_ms: '100' },
    ...(o.callee?.transport ? { transport: o.callee.transport } : {}),
    ...(o.callee?.replace ? { replace: o.callee.replace } : {}),
  });
  const caller = await startSipp(t, {
    scenario: 'uac-call-srtp.xml', ip: o.caller?.ip ?? gw.addr.uc, port: PORTS.uac, target: o.caller?.target ?? gw.sipTarget,
    calls: 1, called: PBX_NUMBER, pauseMs: 5000,
    keys: { calling: UC_NUMBER, rtp_ip: phoneOut.ip, rtp_port: String(phoneOut.port), crypto: `1 ${phoneCrypto.suite} ${phoneCrypto.keyParams}` },
  });
  const offered = await callee.waitEvent('media');
  t.equal(offered.ip, gw.addr.gw, 'the PBX side is offered rtpengine\'s address');
  const answered = await caller.waitEvent('media');
  const crypto = await caller.waitEvent('crypto');
  t.equal(answered.proto, 'RTP/SAVP', 'the SRTP caller is answered with SRTP');
  t.match(crypto.line, new RegExp(`^1 ${SUITE} inline:`), 'with the offered SDES suite and tag');
  // spangate's answer key and address complete the phone's session.
  const phoneIn = target(await session.answer({
    sdp: sdp(answered.ip, answered.port, [PCMU], { proto: 'RTP/SAVP', crypto: crypto.line }), from: 'b',
  }));

  const a = phone.stream({ ip: phoneIn.ip, port: phoneIn.port }, CODECS.PCMU, 150);
  const b = pbx.stream({ ip: offered.ip, port: offered.port }, { ...CODECS.PCMU, pt: offered.pt }, 150);
  await Promise.all([phone.waitFor(50, 0), pbx.waitFor(50, 0)]);
  t.ok(pbx.count(0) >= 50, `the plain PBX side received ${pbx.count(0)} packets the SRTP phone sent`);
  t.ok(phone.count(0) >= 50, `the SRTP phone decrypted ${phone.count(0)} packets from the PBX side`);
  const [rc, re] = await Promise.all([caller.done, callee.done]);
  a.stop();
  b.stop();
  t.equal(rc.code, 0, `caller: ${sippText(rc)}`);
  t.equal(re.code, 0, `callee: ${sippText(re)}`);
}
