// Offer/answer through a real rtpengine, then RTP from two UDP sockets both ways through the
// ports rtpengine put in the SDP; both sides count packets, and the session's stats agree.
import t from 'tap';
import { RtpengineRelay } from '../../src/media/rtpengine-relay.js';
import type { LegMediaOptions } from '../../src/media/relay.js';
import { startRtpengine, Endpoint, sdp, target, ulawTone, PCMU, TEL } from './rtpengine-harness.test.js';

const IP = '127.0.4.12';
const plain: LegMediaOptions = { transport: 'RTP/AVP' };

t.test('PCMU call: RTP flows end to end both ways through rtpengine', async (t) => {
  const { sup } = await startRtpengine(t, { ip: IP, ngPort: 50012, portMin: 51300, portMax: 51399 });
  const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
  const a = await new Endpoint(IP).bind();
  const b = await new Endpoint(IP).bind();
  t.teardown(() => { a.close(); b.close(); });

  const session = relay.createSession('flow-1');
  const toB = await session.offer({ sdp: sdp(IP, a.port, [PCMU, TEL]), from: 'a', fromLeg: plain, toLeg: plain });
  const tb = target(toB);
  t.equal(tb.ip, IP, 'offer to B points at rtpengine');
  t.not(tb.port, a.port);
  t.ok(tb.port >= 51300 && tb.port <= 51399, `rtpengine port ${tb.port} in its range`);
  t.same(Object.keys(tb.pts), ['PCMU', 'telephone-event']);
  t.notMatch(toB, /a=candidate|a=ice-/);
  const toA = await session.answer({ sdp: sdp(IP, b.port, [PCMU, TEL]), from: 'b' });
  const ta = target(toA);
  t.not(ta.port, b.port);
  t.equal(relay.sessionCount, 1);

  // B first: rtpengine learns B's address and relays A's stream there.
  await Promise.all([
    a.stream(ta, { pt: 0, count: 50, ssrc: 0xa, payload: ulawTone }),
    b.stream(tb, { pt: 0, count: 50, ssrc: 0xb, payload: ulawTone }),
  ]);
  await b.waitFor(45, 0);
  await a.waitFor(45, 0);
  t.ok(b.count(0) >= 45, `B received ${b.count(0)} of 50 PCMU packets from A`);
  t.ok(a.count(0) >= 45, `A received ${a.count(0)} of 50 PCMU packets from B`);
  t.same(b.got.find((g) => g.ssrc === 0xa)?.payload, ulawTone(b.got.find((g) => g.ssrc === 0xa)!.seq - 1000), 'payload relayed unchanged');

  const st = await session.stats();
  t.ok(st.a.packetsIn >= 45 && st.b.packetsIn >= 45, `rtpengine counted a=${st.a.packetsIn} b=${st.b.packetsIn}`);
  t.equal(st.a.codec, 'PCMU');
  t.equal(st.b.codec, 'PCMU');
  const final = await session.close();
  t.ok(final && final.a.packetsIn >= 45, 'close returns the final stats');
  t.equal(relay.sessionCount, 0);
  t.equal(await session.close(), undefined, 'close is idempotent');
  await t.rejects(session.offer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a', fromLeg: plain, toLeg: plain }), { code: 'EMEDIA' });
});

t.test('hold: re-offer with sendonly from A, answer recvonly, then resume', async (t) => {
  const { sup } = await startRtpengine(t, { ip: IP, ngPort: 50022, portMin: 51400, portMax: 51499 });
  const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
  const a = await new Endpoint(IP).bind();
  const b = await new Endpoint(IP).bind();
  t.teardown(() => { a.close(); b.close(); });
  const s = relay.createSession('hold-1');
  const tb = target(await s.offer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a', fromLeg: plain, toLeg: plain }));
  await s.answer({ sdp: sdp(IP, b.port, [PCMU]), from: 'b' });
  const holdOffer = await s.offer({ sdp: sdp(IP, a.port, [PCMU], { direction: 'sendonly' }), from: 'a', fromLeg: plain, toLeg: plain });
  t.match(holdOffer, /a=sendonly/);
  t.equal(target(holdOffer).port, tb.port, 're-offer keeps B-facing port');
  const holdAnswer = await s.answer({ sdp: sdp(IP, b.port, [PCMU], { direction: 'recvonly' }), from: 'b' });
  t.match(holdAnswer, /a=recvonly/);
  const resume = await s.offer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a', fromLeg: plain, toLeg: plain });
  t.match(resume, /a=sendrecv/);
  await s.answer({ sdp: sdp(IP, b.port, [PCMU]), from: 'b' });
  await s.close();
});

t.test('codec change mid-call: B re-offers G.722 only, rtpengine starts transcoding for A', async (t) => {
  const { sup } = await startRtpengine(t, { ip: IP, ngPort: 50032, portMin: 52300, portMax: 52399 });
  const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
  const a = await new Endpoint(IP).bind();
  const b = await new Endpoint(IP).bind();
  t.teardown(() => { a.close(); b.close(); });
  const pcmuOnly: LegMediaOptions = { transport: 'RTP/AVP', codecs: ['PCMU'] };
  const s = relay.createSession('reinvite-1');
  const tb = target(await s.offer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a', fromLeg: pcmuOnly, toLeg: plain }));
  await s.answer({ sdp: sdp(IP, b.port, [PCMU]), from: 'b' });
  // B's re-INVITE: G.722 only. A's trunk takes PCMU only, so A is offered PCMU.
  const toA = target(await s.offer({ sdp: sdp(IP, b.port, [{ pt: 9, name: 'G722', rate: 8000 }]), from: 'b', fromLeg: plain, toLeg: pcmuOnly }));
  t.same(Object.keys(toA.pts), ['PCMU', 'telephone-event'], 'A is offered PCMU (+ DTMF)');
  const toB = target(await s.answer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a' }));
  t.same(Object.keys(toB.pts), ['G722'], 'B is answered G.722');
  t.equal(toB.port, tb.port, 'B keeps sending to the same port');
  await Promise.all([
    a.stream(toA, { pt: 0, count: 40, ssrc: 0xa4, payload: ulawTone }),
    b.stream(toB, { pt: 9, count: 40, ssrc: 0xb4, payload: () => Buffer.alloc(160, 0x55) }),
  ]);
  await b.waitFor(30, 9);
  await a.waitFor(30, 0);
  t.ok(b.count(9) >= 30, `B received ${b.count(9)} G.722 packets`);
  t.ok(a.count(0) >= 30, `A received ${a.count(0)} PCMU packets`);
  const st = await s.close();
  t.equal(st?.a.codec, 'PCMU');
  t.equal(st?.b.codec, 'G722');
});

t.test('a session rtpengine no longer has (deleted elsewhere, timed out) is reported lost', async (t) => {
  const { sup } = await startRtpengine(t, { ip: IP, ngPort: 50042, portMin: 52500, portMax: 52599 });
  const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 60_000, mediaCheckIntervalMs: 100 });
  const a = await new Endpoint(IP).bind();
  const b = await new Endpoint(IP).bind();
  t.teardown(() => { a.close(); b.close(); });
  const s = relay.createSession('lost-1');
  await s.offer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a', fromLeg: plain, toLeg: plain });
  await s.answer({ sdp: sdp(IP, b.port, [PCMU]), from: 'b' });
  const lost = new Promise<string>((r) => s.on('lost', r));
  await relay.ng.request('delete', { 'call-id': 'lost-1' });
  t.match(await lost, /no longer has the call/);
  t.equal(await s.close(), undefined, 'closing a lost session does not fail');
});
