import t from 'tap';
import { PriMedia, type TdmApi } from '../../../src/tdm/pri-media.js';
import type { TdmStatsValues } from '../../../src/ffi/tdm.js';

function fakeApi(): { api: TdmApi; log: string[] } {
  const log: string[] = [];
  let next = 10;
  const api: TdmApi = {
    ensureEngine: () => { log.push('engine'); },
    create: (o) => { log.push(`create ${o.span}/${o.timeslot} ec=${o.echoCanceller} tail=${o.ecTailMs} ${o.country}`); return next++; },
    destroy: (h) => { log.push(`destroy ${h}`); },
    bridge: (a, b) => { log.push(`bridge ${a} ${b}`); },
    unbridge: (h) => { log.push(`unbridge ${h}`); },
    setRtp: (h, r) => { log.push(`rtp ${h} ${r}`); },
    tone: (h, k) => { log.push(`tone ${h} ${k}`); },
    sendDtmf: (h, d, on, off) => { log.push(`dtmf ${h} ${d} ${on}/${off}`); },
    stats: () => ({}) as TdmStatsValues,
  };
  return { api, log };
}

t.test('a B-channel: echo canceller per span, tones, DTMF, bridge, released once', async (t) => {
  const { api, log } = fakeApi();
  const a = new PriMedia(api, 1, 5, { echoTailMs: 128, tonePlan: 'de' });
  const b = new PriMedia(api, 2, 7, { echoTailMs: 0, tonePlan: 'eu' });
  t.same(log.splice(0), ['create 1/5 ec=true tail=128 de', 'create 2/7 ec=false tail=0 eu']);
  a.playTone('ringback');
  a.playTone('ringback');
  t.same(log.splice(0), ['tone 10 ringback'], 'a tone is asked for once');
  a.sendDtmf('5', 0);
  a.sendDtmf('#', 5000);
  t.same(log.splice(0), ['dtmf 10 5 80/60', 'dtmf 10 # 1000/60'], 'durations bounded (40..1000 ms, default 80)');
  a.bridge(b);
  a.bridge(b);
  t.same(log.splice(0), ['tone 10 null', 'bridge 10 11'], 'the bridge stops local tones first and is made once');
  t.equal(b.bridgedTo, a);
  a.release();
  a.release();
  t.same(log.splice(0), ['destroy 10'], 'released exactly once');
  t.equal(b.bridgedTo, undefined, 'the other side forgets the bridge');
  a.playTone('busy');
  a.sendDtmf('1', 100);
  a.bridge(b);
  t.same(log, [], 'nothing reaches a released channel');
});

t.test('a bridged channel does not regenerate digits the bridge already carries in-band', async (t) => {
  const { api, log } = fakeApi();
  const a = new PriMedia(api, 1, 5, { echoTailMs: 0, tonePlan: 'de' });
  const b = new PriMedia(api, 2, 7, { echoTailMs: 0, tonePlan: 'de' });
  a.sendDtmf('5', 100);
  t.ok(log.includes('dtmf 10 5 100/60'), 'unbridged: generated in-band');
  log.splice(0);
  a.bridge(b);
  a.sendDtmf('6', 100);
  b.sendDtmf('7', 100);
  t.notOk(log.some((l) => l.startsWith('dtmf')), 'bridged: nothing generated');
  t.ok(a.wasBridged && b.wasBridged);
});
