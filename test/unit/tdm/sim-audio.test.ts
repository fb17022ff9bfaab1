// SimAudio with a fake native side: tone specs and PCM, channel lifecycle, clip completion
// (resolved on PLAY_END, rejected when stopped or when the call ends), in-band digits, and
// monitor windows grouped into silence / tone / sound segment reports.
import { EventEmitter } from 'node:events';
import t from 'tap';
import type { NativeEvent } from '../../../src/ffi/events.js';
import { SimAudio, type SimMedia, type SimReport } from '../../../src/tdm/sim-audio.js';
import { parseTone, tonePcm } from '../../../src/tdm/tone-spec.js';

function raw(type: number, handle: number, payload: Buffer): NativeEvent {
  const p = Buffer.alloc(48);
  payload.copy(p);
  return { kind: 'raw', subsys: 5, type, handle, timeNs: 0n, payload: p };
}

function audio(handle: number, level: number, freq: number, tonality: number): NativeEvent {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(1024, 0);
  b.writeUInt16LE(1024, 4);
  b.writeInt16LE(Math.round(level * 100), 6);
  b.writeUInt32LE(Math.round(freq * 1000), 8);
  b.writeInt16LE(Math.round(level * 100), 12);
  b.writeUInt16LE(Math.round(tonality * 1000), 14);
  return raw(3, handle, b);
}

function playEnd(handle: number, id: number, stopped: boolean): NativeEvent {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(id, 0);
  b.writeUInt32LE(100, 4);
  b[8] = stopped ? 1 : 0;
  return raw(4, handle, b);
}

function fake() {
  const events = new EventEmitter<{ event: [NativeEvent] }>();
  const calls: string[] = [];
  const plays: Array<{ handle: number; id: number; n: number }> = [];
  let released = 0;
  let next = 7;
  const media: SimMedia = {
    tdm: {
      create: (o) => { calls.push(`create ${o.span}/${o.timeslot} ec=${String(o.echoCanceller)} mon=${String(o.monitor)}`); return next++; },
      destroy: (h) => { calls.push(`destroy ${h}`); },
      play: (h, pcm, id) => { plays.push({ handle: h, id, n: pcm.length }); },
      stopPlay: (h) => { calls.push(`stop ${h}`); },
      sendDtmf: (h, d) => { calls.push(`dtmf ${h} ${d}`); },
    },
    events,
    release: () => { released++; },
  };
  return { media, events, calls, plays, released: () => released };
}

t.test('tone specs and their PCM', async (t) => {
  t.same(parseTone('1004@-10'), { freqHz: 1004, levelDbm0: -10, ms: 1000 });
  t.same(parseTone('2000@-20.5:250'), { freqHz: 2000, levelDbm0: -20.5, ms: 250 });
  for (const bad of ['1004', '1004@', 'x@-10', '5000@-10', '1004@-90', '1004@-10:5']) t.throws(() => parseTone(bad), { code: 'EMEDIA' }, bad);
  const pcm = tonePcm({ freqHz: 1000, levelDbm0: -10, ms: 100 });
  t.equal(pcm.length, 800);
  const rms = Math.sqrt(pcm.reduce((a, x) => a + x * x, 0) / pcm.length);
  const dbm0 = 3.14 + 20 * Math.log10((rms * Math.SQRT2) / 32767);
  t.ok(Math.abs(dbm0 + 10) < 0.05, `level ${dbm0.toFixed(3)} dBm0`);
});

t.test('channels, clips, digits and audio segments', async (t) => {
  const f = fake();
  const a = new SimAudio(f.media, { reportAudio: true });
  const reports: SimReport[] = [];
  a.on('report', (r) => reports.push(r));
  const digits: string[] = [];
  a.on('dtmf', (d) => digits.push(`${d.leg}:${d.digit}`));

  await t.rejects(a.sendTone('leg1', { freqHz: 1004, levelDbm0: -10, ms: 100 }), { code: 'EMEDIA' }, 'not connected');
  a.attach('leg1', 3, 17);
  a.attach('leg1', 3, 17);
  t.same(f.calls, ['create 3/17 ec=false mon=true'], 'one channel, no echo canceller, monitor on');
  t.ok(a.has('leg1'));

  const sent = a.sendTone('leg1', { freqHz: 1004, levelDbm0: -10, ms: 100 });
  t.equal(f.plays.length, 1);
  t.match(f.plays[0], { handle: 7, n: 800 });
  f.events.emit('event', playEnd(7, f.plays[0]!.id + 1000, false));   // someone else's clip
  f.events.emit('event', playEnd(7, f.plays[0]!.id, false));
  await sent;
  t.match(reports.at(-1), { event: 'sent', what: 'tone', freqHz: 1004 });

  const stopped = a.sendTone('leg1', { freqHz: 500, levelDbm0: -20, ms: 100 });
  f.events.emit('event', playEnd(7, f.plays[1]!.id, true));
  await t.rejects(stopped, { code: 'EMEDIA' });

  // digits: END events carry the digit
  const d = Buffer.alloc(8);
  d[0] = '5'.charCodeAt(0);
  d.writeUInt16LE(80, 2);
  f.events.emit('event', raw(1, 7, d));
  f.events.emit('event', raw(2, 7, d));
  f.events.emit('event', raw(2, 99, d));                               // not ours
  t.same(digits, ['leg1:5']);
  t.match(reports.at(-1), { event: 'dtmf', leg: 'leg1', digit: '5', durationMs: 80 });

  // windows: 2 silence, 3 tone (1004 +-2 Hz), 1 tone elsewhere, 2 sound
  const windows: number[] = [];
  a.on('audio', (w) => windows.push(w.freqHz));
  for (const e of [
    audio(7, -70, 0, 0), audio(7, -72, 0, 0),
    audio(7, -10, 1003, 0.99), audio(7, -10.2, 1005, 0.98), audio(7, -9.9, 1004, 0.99),
    audio(7, -20, 2000, 0.97),
    audio(7, -25, 300, 0.3), audio(7, -15, 600, 0.2),
  ]) f.events.emit('event', e);
  t.equal(windows.length, 8);
  const pending = a.sendTone('leg1', { freqHz: 700, levelDbm0: -20, ms: 100 });
  a.detach('leg1');                                                     // flushes the sound segment
  await t.rejects(pending, { code: 'EMEDIA' }, 'a clip in progress fails when the call ends');
  const segs = reports.filter((r) => r.event === 'audio');
  t.match(segs, [
    { kind: 'silence', windows: 2, ms: 256 },
    { kind: 'tone', windows: 3, freqHz: 1004, levelDbm0: -10 },
    { kind: 'tone', windows: 1, freqHz: 2000, levelDbm0: -20 },
    { kind: 'sound', windows: 2, maxDbm0: -15 },
  ]);
  t.ok(Math.abs((segs[3]!.levelDbm0 as number) - 10 * Math.log10((10 ** -2.5 + 10 ** -1.5) / 2)) < 0.1, 'energy average');
  t.same(f.calls.slice(-1), ['destroy 7']);
  a.close();
  a.close();
  t.equal(f.released(), 1, 'the engine is released once');
  t.equal(f.events.listenerCount('event'), 0);
  t.throws(() => a.attach('leg2', 3, 18), { code: 'EMEDIA' });
});
