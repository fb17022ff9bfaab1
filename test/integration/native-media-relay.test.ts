// MediaRelay on the native engine: offer/answer rewriting and real RTP through the engine,
// pass-through with RFC 4733, transcoding PCMU -> G.722 toward an SRTP leg, media timeout.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { NativeEngine } from '../../src/ffi/engine.js';
import { NativeEventReader } from '../../src/ffi/events.js';
import { loadNative } from '../../src/ffi/native.js';
import { NativeMediaRelay } from '../../src/media/native-relay.js';
import { MediaError } from '../../src/errors.js';
import { audioMedia, parseSdp } from '../../src/sip/sdp.js';

const LOOP = '127.0.3.1';

function sdp(port: number, fmts: string, extra: string[] = [], proto = 'RTP/AVP'): string {
  return ['v=0', `o=- 1 1 IN IP4 ${LOOP}`, 's=-', `c=IN IP4 ${LOOP}`, 't=0 0', `m=audio ${port} ${proto} ${fmts}`, ...extra, 'a=sendrecv', '']
    .join('\r\n');
}

function rtp(pt: number, seq: number, fill: number, len = 160): Buffer {
  const b = Buffer.alloc(12 + len, fill);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x1234, 8);
  return b;
}

async function phone(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, LOOP);
  await once(s, 'listening');
  return s;
}

function next(s: dgram.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no packet')), 10000);
    s.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
  });
}

t.test('native MediaRelay', async (t) => {
  const native = loadNative();
  const engine = NativeEngine.start(native, { portMin: 49500, portMax: 49999, maxEndpoints: 64 });
  t.teardown(() => engine.stop());
  const events = NativeEventReader.open(native);
  const relay = new NativeMediaRelay(engine, events, { localAddress: LOOP });
  t.teardown(() => relay.close());
  const alice = await phone();
  const bob = await phone();
  t.teardown(() => {
    alice.close();
    bob.close();
  });

  t.test('pass-through with telephone-event', async (t) => {
    const s = relay.createSession('call-1');
    t.throws(() => relay.createSession('call-1'), MediaError);
    const toB = parseSdp(await s.offer({
      sdp: sdp(alice.address().port, '0 101', ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ice-ufrag:x']),
      from: 'a', fromLeg: { transport: 'RTP/AVP' }, toLeg: { transport: 'RTP/AVP' },
    }));
    const mb = audioMedia(toB)!;
    t.equal(toB.connection?.address, LOOP);
    t.same(mb.codecs.map((c) => c.name), ['PCMU', 'telephone-event']);
    t.notOk(mb.attributes.some((a) => a.name === 'ice-ufrag'), 'ICE stripped');
    await t.rejects(s.answer({ sdp: sdp(1, '0'), from: 'a' }), MediaError, 'answer from the offerer');
    const toA = parseSdp(await s.answer({ sdp: sdp(bob.address().port, '0 101', ['a=rtpmap:101 telephone-event/8000']), from: 'b' }));
    const ma = audioMedia(toA)!;
    t.same(ma.codecs.map((c) => c.name), ['PCMU', 'telephone-event']);

    const atBob = next(bob);
    alice.send(rtp(0, 1, 0x11), ma.port, LOOP);
    const p1 = await atBob;
    t.equal(p1.length, 172);
    t.equal(p1[12], 0x11);
    const atAlice = next(alice);
    bob.send(rtp(0, 7, 0x22), mb.port, LOOP);
    t.equal((await atAlice)[12], 0x22);
    const dtmfAtBob = next(bob);
    const d = rtp(101, 2, 0, 4);
    d.set([5, 10, 0, 160], 12);
    alice.send(d, ma.port, LOOP);
    t.equal((await dtmfAtBob)[1] & 0x7f, 101);

    const st = await s.stats();
    t.equal(st.a.packetsIn, 2);
    t.equal(st.b.packetsOut, 2);
    t.equal(st.a.codec, 'PCMU');
    const final = await s.close();
    t.ok(final && final.b.packetsIn === 1);
    t.ok(s.closed);
    t.equal(await s.close(), undefined, 'idempotent');
    await t.rejects(s.stats(), MediaError);
  });

  t.test('transcoding to G.722 toward an SRTP leg', async (t) => {
    const s = relay.createSession('call-2');
    const toB = parseSdp(await s.offer({
      sdp: sdp(alice.address().port, '0'),
      from: 'a', fromLeg: { transport: 'RTP/AVP' },
      toLeg: { transport: 'RTP/SAVP', codecs: ['G722'], srtpSuites: ['AES_CM_128_HMAC_SHA1_80'] },
    }));
    const mb = audioMedia(toB)!;
    t.equal(mb.proto, 'RTP/SAVP');
    t.same(mb.codecs.map((c) => c.name), ['G722', 'telephone-event']);
    t.equal(mb.crypto[0]?.suite, 'AES_CM_128_HMAC_SHA1_80');
    t.match(mb.crypto[0]?.keyParams, /^inline:[A-Za-z0-9+/]{40}$/);
    const bobKey = randomBytes(30).toString('base64');
    const toA = parseSdp(await s.answer({
      sdp: sdp(bob.address().port, '9', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${bobKey}`], 'RTP/SAVP'),
      from: 'b',
    }));
    const ma = audioMedia(toA)!;
    t.equal(ma.proto, 'RTP/AVP');
    t.same(ma.codecs.map((c) => c.name), ['PCMU']);
    const atBob = next(bob);
    alice.send(rtp(0, 1, 0xff), ma.port, LOOP);
    const p = await atBob;
    t.equal(p[1] & 0x7f, 9, 'G.722 payload type');
    t.equal(p.length, 12 + 160 + 10, 'SRTP with an 80-bit tag');
    await s.close();
  });

  t.test('codecs the engine cannot produce are refused', async (t) => {
    const s = relay.createSession('call-3');
    await t.rejects(s.offer({
      sdp: sdp(alice.address().port, '18'), from: 'a', fromLeg: { transport: 'RTP/AVP' },
      toLeg: { transport: 'RTP/AVP', codecs: ['PCMU'] },
    }), MediaError);
    await s.close();
  });

  t.test('media timeout when both legs are silent', async (t) => {
    const quick = new NativeMediaRelay(engine, events, { localAddress: LOOP, mediaTimeoutMs: 200 });
    t.teardown(() => quick.close());
    const s = quick.createSession('call-4');
    const timedOut = once(s as unknown as NodeJS.EventEmitter, 'media-timeout');
    await s.offer({ sdp: sdp(alice.address().port, '0'), from: 'a', fromLeg: { transport: 'RTP/AVP' }, toLeg: { transport: 'RTP/AVP' } });
    await s.answer({ sdp: sdp(bob.address().port, '0'), from: 'b' });
    await timedOut;
    t.pass('media-timeout emitted');
    t.same(await quick.health(), { up: true, sessions: 1 });
  });
});
