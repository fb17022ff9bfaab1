// Busy, no answer and unallocated number through the real daemon's call core, both ways
// between a PSTN span and a PBX span (E1 EuroISDN, German tones), with what the caller hears:
// - the far side refuses without early media: the caller gets PROGRESS with progress
//   indicator 8 and the cause, hears the busy (or congestion) tone generated on its B-channel
//   (425 Hz, 480/480 ms, measured by the simulator's line monitor), then the DISCONNECT with the
//   cause after rejectToneMs;
// - the far side alerts without in-band information: the caller hears ringback generated on its
//   B-channel (425 Hz, 1 s on / 4 s off) until the ring timeout clears both legs with 19;
// - an unallocated number (routing, or the PSTN) clears with 1 and no tone.
// The CDRs carry the dispositions and causes.
import t from 'tap';
import { WAIT, cadence, startGateway, until } from './support/tdm-daemon.js';
import type { PstnSim, SimAudioWindow, SimReport } from '../../src/tdm/sim.js';

const ROUTING = {
  trunks: { pstn: { role: 'pstn', numberFormat: 'national' }, pbx: { role: 'pbx', numberFormat: 'national' } },
  sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }] }],
  routes: [
    { id: 'unallocated', called: '+49305559*', targets: [], reject: 1 },
    { id: 'out', fromTrunk: ['pbx'], called: '+4989*', targets: ['pstn'] },
  ],
};
const REJECT_TONE_MS = 2500;

interface Heard { leg: string; reports: SimReport[]; windows: SimAudioWindow[]; hangup: SimReport }

/** `caller` dials `called`; everything it reports and hears on that call until the hangup. */
async function dial(caller: PstnSim, called: string): Promise<Heard> {
  const reports: SimReport[] = [];
  const windows: SimAudioWindow[] = [];
  let leg = '';
  const onReport = (r: SimReport): void => { if (r.leg === leg) reports.push(r); };
  const onAudio = (w: SimAudioWindow): void => { if (w.leg === leg) windows.push(w); };
  caller.on('report', onReport);
  caller.on('audio', onAudio);
  try {
    const hung = caller.waitFor((r) => r.event === 'hangup' && r.leg === leg, WAIT + 10_000);
    leg = await caller.call({ calling: '301234567', called, callingTon: 'national', calledTon: 'national' });
    const hangup = (await hung) as SimReport;
    return { leg, reports, windows, hangup };
  } finally {
    caller.off('report', onReport);
    caller.off('audio', onAudio);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

/** The tone heard: median frequency and level of the loud windows, whole on/off runs. */
function tone(h: Heard): { freq: number; level: number; on: number[]; off: number[] } {
  const loud = h.windows.filter((w) => w.levelDbm0 > -40);
  const c = cadence(h.windows, 425, true);
  return { freq: median(loud.map((w) => w.freqHz)), level: median(loud.map((w) => w.levelDbm0)), on: c.on, off: c.off };
}

t.test('causes both ways with in-band busy tone and ringback', async (t) => {
  const gw = await startGateway(t, {
    simAddr: '127.0.22.40', gwAddr: '127.0.22.41', routing: ROUTING, spanExtra: { rejectToneMs: REJECT_TONE_MS },
    config: { sip: { ringTimeoutMs: 7000 } },
    spans: [
      { id: 'pstn', trunk: 'pstn', gw: 'user', port: 22040 },
      { id: 'pbx', trunk: 'pbx', gw: 'network', port: 22042 },
    ],
  });
  const { pstn, pbx } = gw.sims as Record<string, PstnSim>;

  // 1. PSTN → PBX, the PBX is busy (DISCONNECT 17, no in-band information).
  pbx!.setPolicy({ action: 'reject', cause: 17 });
  const busy = await dial(pstn!, '30555123');
  t.ok(busy.reports.some((r) => r.event === 'progress' && r.cause === 17), 'PROGRESS with cause 17 reached the PSTN caller');
  t.ok(busy.reports.some((r) => r.event === 'early-media'), 'with progress indicator 8 (in-band information available)');
  const bt = tone(busy);
  t.ok(Math.abs(bt.freq - 425) <= 15, `busy tone at ${bt.freq} Hz (425 Hz)`);
  t.ok(bt.level > -16 && bt.level < -5, `busy tone level ${bt.level} dBm0 (-10)`);
  t.ok(bt.on.length >= 1 && bt.on.every((ms) => ms >= 256 && ms <= 768), `busy cadence on ${bt.on.join('/')} ms (480)`);
  t.ok(bt.off.length >= 1 && bt.off.every((ms) => ms >= 256 && ms <= 768), `busy cadence off ${bt.off.join('/')} ms (480)`);
  t.match(busy.hangup, { cause: 17, by: 'remote' }, 'then DISCONNECT with 17');

  // 2. PSTN → PBX, the PBX alerts without in-band information and never answers.
  pbx!.setPolicy({ action: 'ring' });
  const pbxGone = pbx!.waitFor((r) => r.event === 'hangup', WAIT);
  const alerting = pbx!.waitFor((r) => r.event === 'incoming', WAIT).then((r) => pbx!.ring(String(r!.leg)));
  const ring = await dial(pstn!, '30555124');
  await alerting;
  t.ok(ring.reports.some((r) => r.event === 'ringing'), 'ALERTING reached the PSTN caller');
  t.ok(ring.reports.some((r) => r.event === 'early-media'), 'with in-band information (the gateway plays ringback)');
  const rt = tone(ring);
  t.ok(Math.abs(rt.freq - 425) <= 15, `ringback at ${rt.freq} Hz (425 Hz)`);
  t.ok(rt.off.length >= 1 && rt.off.every((ms) => ms >= 3584 && ms <= 4480), `ringback off ${rt.off.join('/')} ms (4000)`);
  const firstOn = cadence(ring.windows, 425).on[0] ?? 0;   // the tone starts with the listening
  t.ok(firstOn >= 640 && firstOn <= 1280, `ringback on ${firstOn} ms (1000)`);
  t.match(ring.hangup, { cause: 19 }, 'no answer: 19 to the caller');
  t.match(await pbxGone, { cause: 19 }, 'no answer: 19 to the PBX');

  // 3. PSTN → an unallocated number: routing refuses with 1, no tone.
  const unalloc = await dial(pstn!, '30555999');
  t.match(unalloc.hangup, { cause: 1 }, 'unallocated: 1');
  t.notOk(unalloc.reports.some((r) => r.event === 'progress' && r.cause), 'no in-band announcement for 1');

  // 4. PBX → PSTN: busy, unallocated (from the PSTN), no answer.
  pstn!.setPolicy({ action: 'reject', cause: 17 });
  const busy2 = await dial(pbx!, '0891234567');
  t.ok(busy2.reports.some((r) => r.event === 'progress' && r.cause === 17), 'the PBX caller gets PROGRESS with 17');
  const bt2 = tone(busy2);
  t.ok(Math.abs(bt2.freq - 425) <= 15 && bt2.on.length >= 1, `and hears the busy tone (${bt2.freq} Hz, on ${bt2.on.join('/')} ms)`);
  t.match(busy2.hangup, { cause: 17 }, 'then 17');
  pstn!.setPolicy({ action: 'reject', cause: 1 });
  const un2 = await dial(pbx!, '0899999999');
  t.match(un2.hangup, { cause: 1 }, 'the PSTN\'s unallocated (1) reaches the PBX caller');
  t.notOk(un2.windows.some((w) => w.levelDbm0 > -40), 'without a tone');
  pstn!.setPolicy({ action: 'ring' });
  const pstnGone = pstn!.waitFor((r) => r.event === 'hangup', WAIT);
  const na2 = await dial(pbx!, '0891234568');
  t.match(na2.hangup, { cause: 19 }, 'no answer from the PSTN: 19 to the PBX caller');
  t.match(await pstnGone, { cause: 19 }, 'and 19 to the PSTN');

  await until(async () => (await gw.cdr()).length >= 6, 'six CDRs');
  const rows = (await gw.cdr()).reverse();
  t.match(rows.map((r) => [r.disposition, r.cause, r.a.trunk]), [
    ['busy', 17, 'pstn'], ['no-answer', 19, 'pstn'], [/no-route|rejected|failed/, 1, 'pstn'],
    ['busy', 17, 'pbx'], [/rejected|failed|no-route/, 1, 'pbx'], ['no-answer', 19, 'pbx'],
  ], 'CDRs: dispositions and causes both ways');
});
