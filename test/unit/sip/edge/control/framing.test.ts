import t from 'tap';
import { FrameDecoder, encodeFrame } from '../../../../../src/sip/edge/control/framing.js';
import { SignalingError } from '../../../../../src/errors.js';

t.test('length prefix counts UTF-8 bytes, not characters', async (t) => {
  const f = encodeFrame('id|sip|x\r\nFrom: "Zoë 😀"');
  const s = f.toString('utf8');
  const n = Number(s.slice(0, s.indexOf('#')));
  t.equal(n, Buffer.byteLength('id|sip|x\r\nFrom: "Zoë 😀"'));
  t.not(n, 'id|sip|x\r\nFrom: "Zoë 😀"'.length);
});

t.test('decodes frames sharing a segment and frames split across segments, byte by byte', async (t) => {
  const payloads = ['a|ping', 'b|route|invite', 'c|sip||\r\nINVITE sip:x SIP/2.0\r\nSubject: ünïcode 😀\r\n\r\n'];
  const all = Buffer.concat(payloads.map(encodeFrame));
  const d1 = new FrameDecoder();
  t.same(d1.push(all), payloads, 'one segment');
  const d2 = new FrameDecoder();
  const got: string[] = [];
  for (let i = 0; i < all.length; i++) got.push(...d2.push(all.subarray(i, i + 1)));
  t.same(got, payloads, 'one byte at a time (splits inside multi-byte characters too)');
  t.equal(d2.pendingBytes, 0);
});

t.test('bad length prefixes throw SignalingError', async (t) => {
  t.throws(() => new FrameDecoder().push(Buffer.from('abc#hello')), SignalingError);
  t.throws(() => new FrameDecoder().push(Buffer.from('#hello')), SignalingError);
  t.throws(() => new FrameDecoder().push(Buffer.from('0#')), SignalingError);
  t.throws(() => new FrameDecoder().push(Buffer.from('12345678901234')), SignalingError, 'endless digits');
  t.throws(() => new FrameDecoder(100).push(Buffer.from('101#')), SignalingError, 'over the cap');
});

t.test('accepts frames above drachtio-server 99,999-byte limit', async (t) => {
  const big = 'x|sip||\r\n' + 'y'.repeat(150_000);
  t.same(new FrameDecoder().push(encodeFrame(big)), [big]);
});
