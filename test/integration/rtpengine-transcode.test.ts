// Transcoding through the real rtpengine: A offers only PCMU, B's trunk allows only G.722 /
// Opus / G.729. The offer B sees lists B's codecs; A's PCMU stream reaches B as the other
// payload type, and B's stream reaches A as PCMU. Packet counts on both sides.
import t from 'tap';
import { RtpengineRelay } from '../../src/media/rtpengine-relay.js';
import type { LegMediaOptions } from '../../src/media/relay.js';
import { startRtpengine, Endpoint, sdp, target, ulawTone, rtp, PCMU, G722, OPUS, G729, TEL, type CodecSpec } from './rtpengine-harness.test.js';

const IP = '127.0.4.13';

// A payload B can send in its own codec. Decoders accept any bytes for G.722 and G.729; for
// Opus, a one-byte TOC of a 20 ms SILK/NB frame followed by filler decodes as a valid frame.
function bPayload(c: CodecSpec): (i: number) => Buffer {
  if (c.name === 'G722') return () => Buffer.alloc(160, 0x55);
  if (c.name === 'G729') return () => Buffer.alloc(20, 0);
  return () => Buffer.from([0x08, ...Buffer.alloc(30, 0)]);
}

for (const far of [G722, OPUS, G729]) {
  t.test(`PCMU ⇄ ${far.name}`, async (t) => {
    const off = { G722: 0, opus: 100, G729: 200 }[far.name as 'G722' | 'opus' | 'G729'];
    const { sup } = await startRtpengine(t, { ip: IP, ngPort: 50013 + off / 100, portMin: 51500 + off, portMax: 51599 + off });
    const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
    const a = await new Endpoint(IP).bind();
    const b = await new Endpoint(IP).bind();
    t.teardown(() => { a.close(); b.close(); });
    const fromA: LegMediaOptions = { transport: 'RTP/AVP' };
    const toB: LegMediaOptions = { transport: 'RTP/AVP', codecs: [far.name] };
    const s = relay.createSession(`tc-${far.name}`);
    const offerB = target(await s.offer({ sdp: sdp(IP, a.port, [PCMU, TEL]), from: 'a', fromLeg: fromA, toLeg: toB }));
    t.same(Object.keys(offerB.pts), [far.name, 'telephone-event'], `B is offered ${far.name} (+ DTMF) only`);
    const bpt = offerB.pts[far.name]!;
    const answerA = target(await s.answer({ sdp: sdp(IP, b.port, [{ ...far, pt: bpt }, { ...TEL, pt: offerB.pts['telephone-event']!, rate: far.rate }]), from: 'b' }));
    t.same(Object.keys(answerA.pts)[0], 'PCMU', 'A is answered with PCMU');

    await Promise.all([
      a.stream(answerA, { pt: 0, count: 50, ssrc: 0xa1, payload: ulawTone }),
      b.stream(offerB, { pt: bpt, count: 50, ssrc: 0xb1, payload: bPayload(far), tsStep: far.rate === 48000 ? 960 : 160 }),
    ]);
    await b.waitFor(40, bpt);
    await a.waitFor(40, 0);
    t.ok(b.count(bpt) >= 40, `B received ${b.count(bpt)} ${far.name} packets (pt ${bpt}) from A's 50 PCMU`);
    t.equal(b.count(0), 0, 'B never sees PCMU');
    t.ok(a.count(0) >= 40, `A received ${a.count(0)} PCMU packets from B's 50 ${far.name}`);
    t.equal(a.count(bpt), 0, `A never sees ${far.name}`);
    // RFC 4733 DTMF from A (digit 5, three packets, the last with the end bit) reaches B as
    // telephone-event in B's payload type, through the transcoding path.
    const tpt = offerB.pts['telephone-event']!;
    for (let k = 0; k < 3; k++) {
      const ev = Buffer.from([5, k === 2 ? 0x8a : 0x0a, 0, 160 * (k + 1)]);
      await a.send(rtp(101, 2000 + k, 50 * 160, 0xa1, ev), answerA.port, answerA.ip);
      await new Promise((r) => setTimeout(r, 20));
    }
    await b.waitFor(1, tpt);
    const dt = b.got.find((g) => g.pt === tpt)!;
    t.equal(dt.payload[0], 5, `B received DTMF digit 5 as telephone-event (pt ${tpt})`);
    if (far.name === 'G729') t.ok(b.got.filter((g) => g.pt === bpt).every((g) => g.payload.length % 10 === 0 && g.payload.length > 0), 'G.729 frames are 10-byte multiples');
    const st = await s.close();
    t.equal(st?.a.codec, 'PCMU');
    t.equal(st?.b.codec, far.name);
  });
}
