import t from 'tap';
import { decodeEvent } from '../../../src/ffi/events.js';

// A record: subsys u16, type u16, handle u32, time_ns u64, then 48 payload bytes (little-endian).
function record(subsys: number, type: number, handle: number, payload: number[]): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt16LE(subsys, 0);
  b.writeUInt16LE(type, 2);
  b.writeUInt32LE(handle, 4);
  b.writeBigUInt64LE(123456789n, 8);
  Buffer.from(payload).copy(b, 16);
  return b;
}

t.test('RFC 4733 digit event', async (t) => {
  // event 11 ('#'), end 1, volume 10, reserved, duration_ms 120 (u32), rtp_ts 0x01020304 (u32)
  const ev = decodeEvent(record(1, 4, 0x100001, [11, 1, 10, 0, 120, 0, 0, 0, 4, 3, 2, 1]));
  t.match(ev, { kind: 'rtp.dtmf', handle: 0x100001, digit: '#', end: true, volume: 10, durationMs: 120, rtpTs: 0x01020304 });
  t.equal(ev.timeNs, 123456789n);
});

t.test('latched address', async (t) => {
  const p = Buffer.alloc(48);
  p.write('127.0.3.1', 0);
  p.writeUInt16LE(40000, 46);
  const ev = decodeEvent(record(1, 1, 7, [...p]));
  t.match(ev, { kind: 'rtp.latched', addr: '127.0.3.1', port: 40000 });
});

t.test('RTCP report with a negative cumulative loss', async (t) => {
  const p = Buffer.alloc(24);
  p.writeUInt32LE(0xaabbccdd, 0);
  p.writeUInt32LE(62500, 4);
  p.writeUInt32LE(10000, 8);
  p.writeInt32LE(-2, 12);
  p.writeUInt32LE(250, 16);
  p.writeUInt8(64, 20);
  t.match(decodeEvent(record(1, 6, 9, [...p])), {
    kind: 'rtp.rtcp', remoteSsrc: 0xaabbccdd, rttUs: 62500, remoteJitterUs: 10000, remoteLost: -2, jitterUs: 250, remoteFractionLost: 64,
  });
});

t.test('relay and foreign subsystems', async (t) => {
  t.match(decodeEvent(record(2, 1, 3, [1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])), {
    kind: 'relay.started', endpointA: 1, endpointB: 2, mode: 'passthrough', err: 0,
  });
  const raw = decodeEvent(record(4, 2, 1, [9, 9]));
  t.match(raw, { kind: 'raw', subsys: 4, type: 2 });
  if (raw.kind === 'raw') t.equal(raw.payload.length, 48);
});
