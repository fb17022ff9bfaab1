// Content-Length framing across split and coalesced segments, keep-alives, bad streams.
import t from 'tap';
import { FramingError, StreamFramer, type FramerItem } from '../../../../../src/sip/edge/transport/index.js';

const msg = (body: string, cl = Buffer.byteLength(body), name = 'Content-Length'): Buffer =>
  Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n${name}: ${cl}\r\n\r\n${body}`);

const messages = (items: FramerItem[]): string[] => items.filter((i) => i.kind === 'message').map((i) => (i as { bytes: Buffer }).bytes.toString());

t.test('one byte at a time and all at once give the same messages', async (t) => {
  const stream = Buffer.concat([msg('hello'), msg(''), msg('ünï', undefined, 'l'), msg('x'.repeat(3000))]);
  const whole = messages(new StreamFramer().push(stream));
  t.equal(whole.length, 4);
  t.ok(whole[2].endsWith('ünï'), 'Content-Length counted in bytes');
  const f = new StreamFramer();
  const bytewise: string[] = [];
  for (let i = 0; i < stream.length; i++) bytewise.push(...messages(f.push(stream.subarray(i, i + 1))));
  t.same(bytewise, whole);
  t.equal(f.pending, 0);
  // random cuts
  for (let round = 0; round < 50; round++) {
    const g = new StreamFramer();
    const got: string[] = [];
    let i = 0;
    while (i < stream.length) {
      const n = 1 + Math.floor(Math.random() * 700);
      got.push(...messages(g.push(stream.subarray(i, i + n))));
      i += n;
    }
    t.same(got, whole);
  }
});

t.test('keep-alives between messages', async (t) => {
  const f = new StreamFramer();
  const items = f.push(Buffer.concat([Buffer.from('\r\n\r\n'), msg('a'), Buffer.from('\r\n')]));
  t.same(items.map((i) => i.kind), ['ping', 'message']);
  t.same(f.push(msg('b')).map((i) => i.kind), ['pong', 'message']);
  const g = new StreamFramer();
  t.same(g.push(Buffer.from('\r\n')), [], 'half a ping waits');
  t.same(g.push(Buffer.from('\r\n')).map((i) => i.kind), ['ping']);
});

t.test('bad streams throw FramingError', async (t) => {
  t.throws(() => new StreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n')), FramingError, 'missing Content-Length');
  t.throws(() => new StreamFramer().push(msg('', -1 as unknown as number)), FramingError, 'negative');
  t.throws(() => new StreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab')), FramingError, 'conflicting');
  t.throws(() => new StreamFramer({ maxHeaderBytes: 100 }).push(Buffer.alloc(200, 0x41)), FramingError, 'endless headers');
  t.throws(() => new StreamFramer({ maxMessageBytes: 1000 }).push(msg('', 5000)), FramingError, 'too large');
});
