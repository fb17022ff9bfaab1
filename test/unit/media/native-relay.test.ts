// NativeMediaRelay's SDP and engine logic with a fake engine (no native library).
import { EventEmitter } from 'node:events';
import t from 'tap';
import type { RtpEndpointConfig, RtpStats } from '../../../src/ffi/engine.js';
import type { NativeEvent } from '../../../src/ffi/events.js';
import { NativeMediaRelay, type NativeEngineApi } from '../../../src/media/native-relay.js';
import { MediaError, NativeError } from '../../../src/errors.js';
import { audioMedia, parseSdp } from '../../../src/sip/sdp.js';

class FakeEngine implements NativeEngineApi {
  isRunning = true;
  next = 1;
  configs = new Map<number, RtpEndpointConfig>();
  relays: Array<[number, number]> = [];
  destroyedRelays: number[] = [];
  destroyed: number[] = [];
  failCreate = false;
  createEndpoint(cfg: RtpEndpointConfig): number {
    if (this.failCreate) throw new NativeError('sg_rtp_create: busy', { errno: -4 });
    const h = this.next++;
    this.configs.set(h, cfg);
    return h;
  }
  updateEndpoint(h: number, cfg: RtpEndpointConfig): void {
    this.configs.set(h, cfg);
  }
  destroyEndpoint(h: number): void {
    this.destroyed.push(h);
  }
  localPort(h: number): number {
    return 40000 + 2 * h;
  }
  endpointStats(h: number): RtpStats {
    return {
      rxPackets: 10 * h, rxBytes: 1720 * h, txPackets: 5, txBytes: 860, rxExpected: 10 * h, rxLost: 1, rxDtmfEvents: 0,
      rxCn: 0, rxSsrc: 1, txSsrc: 2, jitterUs: 1500, rttUs: 0, remoteJitterUs: 0, remoteLost: 0, remoteFractionLost: 0,
      latched: true, jbDelayMs: 0, idleMs: 250,
    };
  }
  createRelay(a: number, b: number): number {
    this.relays.push([a, b]);
    return 100 + this.relays.length;
  }
  destroyRelay(h: number): void {
    this.destroyedRelays.push(h);
  }
  played: Array<[number, number, number]> = [];
  sendDtmf(h: number, event: number, durationMs = 100): void {
    this.played.push([h, event, durationMs]);
  }
}

const events = new EventEmitter<{ event: [NativeEvent] }>();
const sdp = (port: number, fmts: string, extra: string[] = [], proto = 'RTP/AVP'): string =>
  ['v=0', 'o=- 5 5 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', `m=audio ${port} ${proto} ${fmts}`, ...extra, ''].join('\r\n');
const plain = { transport: 'RTP/AVP' as const };

t.test('transcoding targets, payload types and the answer', async (t) => {
  const eng = new FakeEngine();
  const relay = new NativeMediaRelay(eng, events, { localAddress: '127.0.3.1', advertisedAddress: '198.51.100.7' });
  const s = relay.createSession('c1');
  // PT 111 is taken by telephone-event in this offer, so opus must move to a free dynamic PT.
  const toB = parseSdp(await s.offer({
    sdp: sdp(5000, '0 8 111', ['a=rtpmap:111 telephone-event/8000', 'a=rtcp-mux', 'a=candidate:1 1 UDP 1 192.0.2.10 5000 typ host']),
    from: 'a', fromLeg: plain, toLeg: { transport: 'RTP/AVP', codecs: ['opus', 'PCMU', 'G729'] },
  }));
  const mb = audioMedia(toB)!;
  t.equal(toB.connection?.address, '198.51.100.7', 'advertised address');
  t.equal(toB.origin.address, '198.51.100.7');
  t.equal(mb.port, eng.localPort(2));
  t.same(mb.codecs.map((c) => [c.name, c.pt]), [['opus', 96], ['PCMU', 0], ['telephone-event', 111]], 'G729 cannot be produced');
  t.notOk(mb.rtcpMux);
  t.notOk(mb.attributes.some((a) => a.name === 'candidate'));
  t.match(eng.configs.get(1), { remoteAddr: '192.0.2.10', remotePort: 5000, remoteRtcpPort: 5000, payloadType: 0, dtmfPt: 111 });

  const toA = parseSdp(await s.answer({ sdp: sdp(6000, '96 111', ['a=rtpmap:96 opus/48000/2', 'a=rtpmap:111 telephone-event/8000']), from: 'b' }));
  const ma = audioMedia(toA)!;
  t.same(ma.codecs.map((c) => c.name), ['PCMU', 'telephone-event'], 'the offerer keeps its first native codec');
  t.equal(ma.port, eng.localPort(1));
  t.match(eng.configs.get(2), { payloadType: 96, codec: 'opus', clockRate: 48000, dtmfPt: 111, remotePort: 6000 });
  t.match(eng.configs.get(1), { payloadType: 0, codec: 'PCMU' });
  t.same(eng.relays, [[1, 2]]);

  const st = await s.stats();
  t.match(st, { a: { packetsIn: 10, codec: 'PCMU', jitterMs: 1.5, lastPacketAgeS: 0.25 }, b: { packetsIn: 20, codec: 'opus' } });

  // Re-INVITE from b: the relay is rebuilt after the new answer.
  await s.offer({ sdp: sdp(6002, '0'), from: 'b', fromLeg: plain, toLeg: plain });
  t.same(eng.destroyedRelays, [101]);
  await s.answer({ sdp: sdp(5002, '0'), from: 'a' });
  t.equal(eng.relays.length, 2);
  t.match(eng.configs.get(2), { remotePort: 6002, payloadType: 0 });
  await s.close();
  t.same(eng.destroyed.sort(), [1, 2]);
  await relay.close();
});

t.test('SRTP per leg', async (t) => {
  const eng = new FakeEngine();
  const relay = new NativeMediaRelay(eng, events, { localAddress: '127.0.3.1' });
  const s = relay.createSession('c2');
  const key = Buffer.alloc(30, 7).toString('base64');
  const toB = parseSdp(await s.offer({
    sdp: sdp(5000, '0', [`a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^31`], 'RTP/SAVP'),
    from: 'a', fromLeg: { transport: 'RTP/SAVP' }, toLeg: { transport: 'RTP/SAVP', srtpSuites: ['AES_CM_128_HMAC_SHA1_32'] },
  }));
  const mb = audioMedia(toB)!;
  t.equal(mb.proto, 'RTP/SAVP');
  t.equal(mb.crypto[0]?.suite, 'AES_CM_128_HMAC_SHA1_32');
  t.match(eng.configs.get(1)?.srtp, { suite: 'AES_CM_128_HMAC_SHA1_80', rxKey: key });
  const bobKey = Buffer.alloc(30, 9).toString('base64');
  const toA = parseSdp(await s.answer({
    sdp: sdp(6000, '0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${bobKey}`], 'RTP/SAVP'), from: 'b',
  }));
  const ma = audioMedia(toA)!;
  t.equal(ma.crypto[0]?.tag, 2, 'answer keeps the offer\'s crypto tag');
  t.equal(ma.crypto[0]?.suite, 'AES_CM_128_HMAC_SHA1_80');
  t.not(ma.crypto[0]?.keyParams, `inline:${key}`, 'our own key, not theirs');
  t.match(eng.configs.get(2)?.srtp, { suite: 'AES_CM_128_HMAC_SHA1_32', rxKey: bobKey });
  await t.rejects(relay.createSession('c3').offer({
    sdp: sdp(5000, '0', [`a=crypto:1 AEAD_AES_128_GCM inline:${key}`], 'RTP/SAVP'), from: 'a',
    fromLeg: { transport: 'RTP/SAVP' }, toLeg: plain,
  }), MediaError, 'no supported suite');
  await relay.close();
});

t.test('errors are MediaError; media-timeout needs both legs silent', async (t) => {
  const eng = new FakeEngine();
  const relay = new NativeMediaRelay(eng, events, { localAddress: '127.0.3.1' });
  eng.failCreate = true;
  const s1 = relay.createSession('e1');
  await t.rejects(s1.offer({ sdp: sdp(5000, '0'), from: 'a', fromLeg: plain, toLeg: plain }), MediaError, 'engine error wrapped');
  await t.rejects(s1.offer({ sdp: 'garbage', from: 'a', fromLeg: plain, toLeg: plain }), MediaError, 'SDP error wrapped');
  eng.failCreate = false;
  const s = relay.createSession('e2');
  await s.offer({ sdp: sdp(5000, '18'), from: 'a', fromLeg: plain, toLeg: plain });
  await s.answer({ sdp: sdp(6000, '18'), from: 'b' });
  const last = [...eng.configs.values()].slice(-2);
  t.same(last.map((c) => [c.payloadType, c.codec]), [[18, ''], [18, '']], 'G.729 on both legs passes through uncoded');
  const s4 = relay.createSession('e4');
  await s4.offer({ sdp: sdp(5000, '18'), from: 'a', fromLeg: plain, toLeg: { transport: 'RTP/AVP', codecs: ['PCMU'] } }).then(
    () => t.fail('PCMU cannot be made from G.729 natively'),
    (err) => t.type(err, MediaError),
  );
  const s2 = relay.createSession('e3');
  await s2.offer({ sdp: sdp(5000, '0'), from: 'a', fromLeg: plain, toLeg: plain });
  await s2.answer({ sdp: sdp(6000, '0'), from: 'b' });
  let fired = 0;
  s2.on('media-timeout', () => fired++);
  const [ha, hb] = [...eng.configs.keys()].slice(-2) as [number, number];
  const ev = (kind: 'rtp.timeout' | 'rtp.resumed', handle: number): NativeEvent => ({ kind, handle, timeNs: 0n, idleMs: 0 });
  events.emit('event', ev('rtp.timeout', ha));
  t.equal(fired, 0, 'one leg silent is not dead');
  events.emit('event', ev('rtp.timeout', hb));
  events.emit('event', ev('rtp.timeout', hb));
  t.equal(fired, 1, 'reported once');
  events.emit('event', ev('rtp.resumed', ha));
  events.emit('event', ev('rtp.timeout', ha));
  t.equal(fired, 2, 'again after media resumed and stopped');
  eng.isRunning = false;
  t.throws(() => relay.createSession('e5'), MediaError);
  t.same(await relay.health(), { up: false, sessions: 4 });
  relay.engineLost('stopped');
  t.equal((await relay.health()).sessions, 0);
});

t.test('RFC 4733 caller facing an INFO callee: telephone-event kept for the caller, digits reported', async (t) => {
  const eng = new FakeEngine();
  const relay = new NativeMediaRelay(eng, events, { localAddress: '127.0.3.1' });
  const s = relay.createSession('d1');
  const rfc = { transport: 'RTP/AVP' as const, dtmf: 'rfc4733' as const };
  const info = { transport: 'RTP/AVP' as const, dtmf: 'info' as const };
  const toB = await s.offer({ sdp: sdp(5000, '0 101', ['a=rtpmap:101 telephone-event/8000']), from: 'a', fromLeg: rfc, toLeg: info });
  t.notMatch(toB, /telephone-event/, 'the INFO callee is offered none');
  const toA = await s.answer({ sdp: sdp(6000, '0'), from: 'b' });
  t.match(toA, /a=rtpmap:101 telephone-event/, 'the RFC 4733 caller keeps it: its endpoint takes the events');
  const [ha, hb] = [...eng.configs.keys()].slice(-2) as [number, number];
  t.equal(eng.configs.get(ha)!.dtmfPt, 101);
  t.equal(eng.configs.get(hb)!.dtmfPt, undefined, 'nothing goes to the INFO leg as RFC 4733');
  const got: unknown[] = [];
  s.on('dtmf', (...a) => got.push(a));
  const dtmf = (handle: number, digit: string, end: boolean): NativeEvent =>
    ({ kind: 'rtp.dtmf', handle, timeNs: 0n, event: '0123456789*#'.indexOf(digit), digit, end, volume: 10, durationMs: 120, rtpTs: 0 });
  events.emit('event', dtmf(ha, '7', false));
  events.emit('event', dtmf(ha, '7', true));
  events.emit('event', dtmf(hb, '3', true));
  t.same(got, [['a', '7', 120]], 'one digit, at its end, from the RFC 4733 leg only');
  await s.playDtmf!('b', '#', 160);
  t.same(eng.played, [[ha, 11, 160]], 'an INFO digit from B is played by A\'s endpoint');
  await t.rejects(s.playDtmf!('a', '5', 100), MediaError, 'the INFO leg has no telephone-event');
  await t.rejects(s.playDtmf!('b', 'x', 100), MediaError);
  await s.close();
});
