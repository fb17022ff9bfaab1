import t from 'tap';
import dgram from 'node:dgram';
import { parseDtmfLog, RtpengineDtmfLog, type RtpengineDtmfEvent } from '../../../src/media/rtpengine-dtmf-log.js';

// The datagram rtpengine 10.5 sent on loopback for a '5' of 120 ms (captured).
const SAMPLE = '{"callid":"x1","source_tag":"ta","tags":["tb","ta"],"type":"DTMF","timestamp":1795275970,"source_ip":"127.0.25.9","event":5,"duration":120,"volume":10}';

t.test('parses rtpengine\'s DTMF log JSON', async (t) => {
  t.same(parseDtmfLog(Buffer.from(SAMPLE)), { callId: 'x1', sourceTag: 'ta', event: 5, durationMs: 120 });
  const bad = (s: string): string => {
    const r = parseDtmfLog(Buffer.from(s));
    return r instanceof Error ? r.message : 'parsed';
  };
  t.equal(bad('not json'), 'not JSON');
  t.equal(bad('[1,2]'), 'type undefined');
  t.equal(bad('null'), 'not a JSON object');
  t.equal(bad(SAMPLE.replace('"DTMF"', '"other"')), 'type "other"');
  t.equal(bad(SAMPLE.replace('"callid":"x1"', '"callid":""')), 'no callid');
  t.equal(bad(SAMPLE.replace('"source_tag":"ta"', '"source_tag":7')), 'no source_tag');
  t.equal(bad(SAMPLE.replace('"event":5', '"event":-1')), 'bad event');
  t.equal(bad(SAMPLE.replace('"event":5', '"event":"5"')), 'bad event');
  t.equal(bad(SAMPLE.replace('"duration":120', '"duration":-3')), 'bad duration');
  t.match(bad(`{"x":"${'a'.repeat(5000)}"}`), /datagram of/);
});

t.test('the listener hands events on and drops garbage and strangers', async (t) => {
  const got: RtpengineDtmfEvent[] = [];
  const warned: string[] = [];
  let accept = true;
  const l = await RtpengineDtmfLog.open({
    address: '127.0.0.1', port: 0, acceptFrom: () => accept, onEvent: (e) => got.push(e),
    log: { debug() {}, warn: (_o, m) => { warned.push(m ?? ''); } },
  });
  t.teardown(() => l.close());
  t.match(l.dest, /^127\.0\.0\.1:\d+$/);
  const s = dgram.createSocket('udp4');
  t.teardown(() => s.close());
  const send = (m: string): Promise<void> => new Promise((r) => s.send(m, l.port, '127.0.0.1', () => r()));
  const settle = async (n: () => boolean): Promise<void> => { while (!n()) await new Promise((r) => setTimeout(r, 5)); };
  await send(SAMPLE);
  await settle(() => got.length === 1);
  t.same(got[0], { callId: 'x1', sourceTag: 'ta', event: 5, durationMs: 120 });
  await send('{garbage');
  await settle(() => l.counters.malformed === 1);
  accept = false;
  await send(SAMPLE);
  await settle(() => l.counters.foreign === 1);
  t.equal(got.length, 1, 'nothing more handed on');
  t.same(l.counters, { events: 1, malformed: 1, foreign: 1 });
  t.equal(warned.length, 2);
});
