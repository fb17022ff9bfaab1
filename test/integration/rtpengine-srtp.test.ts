// RTP ⇄ SRTP (SDES, AES_CM_128_HMAC_SHA1_80) through the real rtpengine, checked by an
// independent SRTP implementation (node:crypto, verified against RFC 3711's test vectors in
// rtpengine-harness.test.ts): the SRTP side decrypts and authenticates every packet with the
// key from the SDP, and the payload equals what the plain side sent.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { RtpengineRelay } from '../../src/media/rtpengine-relay.js';
import type { LegMediaOptions } from '../../src/media/relay.js';
import {
  startRtpengine, Endpoint, sdp, target, ulawTone, PCMU, srtpKeysFromInline, srtpProtect, srtpUnprotect,
} from './rtpengine-harness.test.js';

const IP = '127.0.4.14';
const SUITE = 'AES_CM_128_HMAC_SHA1_80';
const plain: LegMediaOptions = { transport: 'RTP/AVP' };
const srtp: LegMediaOptions = { transport: 'RTP/SAVP', srtpSuites: [SUITE] };

function ourCrypto(): { line: string; keyParams: string } {
  const keyParams = `inline:${randomBytes(30).toString('base64')}`;
  return { line: `1 ${SUITE} ${keyParams}`, keyParams };
}

t.test('plain A → SRTP B: offer carries one SDES suite; both directions decrypt and verify', async (t) => {
  const { sup } = await startRtpengine(t, { ip: IP, ngPort: 50014, portMin: 51900, portMax: 51999 });
  const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
  const a = await new Endpoint(IP).bind();
  const b = await new Endpoint(IP).bind();
  t.teardown(() => { a.close(); b.close(); });
  const s = relay.createSession('srtp-1');
  const offerText = await s.offer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a', fromLeg: plain, toLeg: srtp });
  const offerB = target(offerText);
  t.equal(offerB.proto, 'RTP/SAVP');
  t.same(offerB.crypto.map((c) => c.suite), [SUITE], 'only the allowed suite is offered');
  t.notMatch(offerText, /a=fingerprint/, 'no DTLS');
  const mine = ourCrypto();
  const answerA = target(await s.answer({ sdp: sdp(IP, b.port, [PCMU], { proto: 'RTP/SAVP', crypto: mine.line }), from: 'b' }));
  t.equal(answerA.proto, 'RTP/AVP', 'A stays plain');
  t.same(answerA.crypto, []);

  const rtpeKey = srtpKeysFromInline(offerB.crypto[0]!.keyParams);
  let bad = 0;
  b.transform = (m) => { const p = srtpUnprotect(rtpeKey, m); if (!p) bad++; return p; };
  const ourKey = srtpKeysFromInline(mine.keyParams);
  await Promise.all([
    a.stream(answerA, { pt: 0, count: 50, ssrc: 0xa2, payload: ulawTone }),
    b.stream(offerB, { pt: 0, count: 50, ssrc: 0xb2, payload: (i) => ulawTone(i + 7), protect: (p) => srtpProtect(ourKey, p) }),
  ]);
  await b.waitFor(45, 0);
  await a.waitFor(45, 0);
  t.equal(bad, 0, 'every SRTP packet from rtpengine authenticated with the offered key');
  t.ok(b.count(0) >= 45, `B decrypted ${b.count(0)} of 50 packets`);
  const g = b.got[5]!;
  t.same(g.payload, ulawTone(g.seq - 1000), 'decrypted payload equals what A sent');
  t.not(g.raw.subarray(12, 172).toString('hex'), g.payload.toString('hex'), 'on the wire it was encrypted');
  t.equal(g.raw.length, 12 + 160 + 10, '80-bit auth tag');
  const ga = a.got[5]!;
  t.same(ga.payload, ulawTone(ga.seq - 1000 + 7), 'A receives B\'s SRTP decrypted by rtpengine');
  await s.close();
});

t.test('SRTP A (a UC server) → plain B (a PBX trunk), and rtpengine refuses a forged packet', async (t) => {
  const { sup } = await startRtpengine(t, { ip: IP, ngPort: 50024, portMin: 52000, portMax: 52099 });
  const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
  const a = await new Endpoint(IP).bind();
  const b = await new Endpoint(IP).bind();
  t.teardown(() => { a.close(); b.close(); });
  const s = relay.createSession('srtp-2');
  const mine = ourCrypto();
  const offerB = target(await s.offer({ sdp: sdp(IP, a.port, [PCMU], { proto: 'RTP/SAVP', crypto: mine.line }), from: 'a', fromLeg: srtp, toLeg: plain }));
  t.equal(offerB.proto, 'RTP/AVP', 'B is offered plain RTP');
  t.same(offerB.crypto, []);
  const answerA = target(await s.answer({ sdp: sdp(IP, b.port, [PCMU]), from: 'b' }));
  t.equal(answerA.proto, 'RTP/SAVP', 'A is answered with SRTP');
  t.equal(answerA.crypto.length, 1);
  t.equal(answerA.crypto[0]!.suite, SUITE);

  const ourKey = srtpKeysFromInline(mine.keyParams);
  const rtpeKey = srtpKeysFromInline(answerA.crypto[0]!.keyParams);
  let bad = 0;
  a.transform = (m) => { const p = srtpUnprotect(rtpeKey, m); if (!p) bad++; return p; };
  // A forged packet (wrong key) first: rtpengine must drop it, B must never see it.
  const forged = srtpKeysFromInline(`inline:${randomBytes(30).toString('base64')}`);
  await a.send(srtpProtect(forged, Buffer.concat([Buffer.from([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x99]), Buffer.alloc(160, 0xff)])), answerA.port, answerA.ip);
  await Promise.all([
    a.stream(answerA, { pt: 0, count: 50, ssrc: 0xa3, payload: ulawTone, protect: (p) => srtpProtect(ourKey, p) }),
    b.stream(offerB, { pt: 0, count: 50, ssrc: 0xb3, payload: ulawTone }),
  ]);
  await b.waitFor(45, 0);
  await a.waitFor(45, 0);
  t.equal(b.got.filter((g) => g.ssrc === 0x99).length, 0, 'forged SRTP dropped');
  const g = b.got[3]!;
  t.same(g.payload, ulawTone(g.seq - 1000), 'B receives A\'s SRTP as plain RTP, payload intact');
  t.equal(bad, 0, 'A authenticates every packet with rtpengine\'s answer key');
  t.ok(a.count(0) >= 45, `A decrypted ${a.count(0)} of 50`);
  await s.close();
});
