// The span binding: struct layout as in span.h, event decoding, argument errors from the real library.
import koffi from 'koffi';
import t from 'tap';
import { NativeError } from '../../../src/errors.js';
import { loadNative } from '../../../src/ffi/native.js';
import { SpanBinding, SpanConfig, SpanEvAlarm, SpanStats, alarmNames, decodeSpanEvent } from '../../../src/ffi/span.js';

t.test('struct sizes and offsets match the C header (x86-64)', async (t) => {
  t.equal(koffi.sizeof(SpanConfig), 128);
  t.equal(koffi.sizeof(SpanStats), 160);
  t.equal(koffi.sizeof(SpanEvAlarm), 24);
  const off = (f: string): number => koffi.offsetof(SpanConfig, f);
  t.same([off('kind'), off('role'), off('frames_per_packet'), off('jitter_packets'), off('los_ms'), off('clear_ms')], [4, 8, 12, 16, 20, 24]);
  t.same([off('local_port'), off('remote_port'), off('local_addr'), off('remote_addr')], [28, 30, 32, 80]);
});

t.test('alarm events decode with their counters', async (t) => {
  const p = Buffer.alloc(48);
  p.writeUInt32LE(0x1, 0);
  p.writeUInt32LE(0x4, 4);
  p.writeBigUInt64LE(123n, 8);
  p.writeBigUInt64LE(2n, 16);
  t.same(decodeSpanEvent(1, 7, p), { kind: 'span.alarm', span: 7, alarms: 1, previous: 4, rxLost: 123, slips: 2 });
  t.same(decodeSpanEvent(2, 7, p), { kind: 'span.closed', span: 7 });
  t.equal(decodeSpanEvent(99, 7, p), undefined);
  t.same(alarmNames(7), ['los', 'ais', 'rai']);
  t.same(alarmNames(0), []);
});

t.test('the real library refuses bad spans with NativeError', async (t) => {
  const span = new SpanBinding(loadNative());
  t.throws(() => span.stats(31), NativeError, 'unknown span');
  t.throws(() => span.close(31), NativeError);
  t.throws(() => span.open({ kind: 'e1', role: 'user', localAddr: 'not-an-ip', localPort: 0, remoteAddr: '', remotePort: 0 }), NativeError);
  t.throws(() => span.open({ kind: 'e1', role: 'user', localAddr: 'x'.repeat(60), localPort: 0, remoteAddr: '', remotePort: 0 }), /too long/);
  t.throws(() => span.open({ kind: 'e1', role: 'user', localAddr: '127.0.10.9', localPort: 0, remoteAddr: '', remotePort: 0, framesPerPacket: 65 }), NativeError);
});

t.test('open, stats, timeslots and close on the real library', async (t) => {
  const span = new SpanBinding(loadNative());
  const h = span.open({ kind: 't1', role: 'network', localAddr: '127.0.10.9', localPort: 0, remoteAddr: '', remotePort: 0 });
  t.teardown(() => { try { span.close(h); } catch { /* closed below */ } });
  t.equal(span.timeslots(h), 24);
  t.equal(span.dchannel(h), 24);
  const st = span.stats(h);
  t.equal(st.alarms & 1, 1, 'opens in LOS');
  t.ok(st.localPort > 0, 'ephemeral port bound');
  t.equal(span.write(h, 1, Buffer.alloc(160, 0xd5)), 160);
  t.type(span.read(h, 1, 160), Buffer);
  span.close(h);
  t.throws(() => span.stats(h), NativeError);
});
