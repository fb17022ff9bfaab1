// Audio on the B-channel between two PSTN simulators back to back over a real E1 vspan pair
// (EuroISDN, A-law): the PSTN (network side) calls a PBX (user side), which answers; both
// directions then carry a 1004 Hz tone at -10 dBm0 (must arrive within 10 Hz and 1 dB), DTMF
// "159#" in-band (must arrive as those digits) and espeak-ng speech (must arrive with energy),
// all through the native engine (TDM channels, spandsp DTMF, the line monitor).
import t from 'tap';
import { loadSimMedia, loadTdmNative } from '../../src/tdm/native.js';
import { PstnSim, type SimAudioWindow, type SimReport } from '../../src/tdm/sim.js';

const WAIT = 30_000;
const base = { type: 'e1', switchtype: 'euroisdn', trunk: 'sim' } as const;
const A = '127.0.26.11';
const B = '127.0.26.12';

/** Windows of `leg` that `sim` receives while `send` runs, plus `after` windows once it is done. */
async function collect(sim: PstnSim, leg: string, send: () => Promise<void>, after = 3): Promise<SimAudioWindow[]> {
  const got: SimAudioWindow[] = [];
  let tail = -1;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => { done = r; });
  const on = (w: SimAudioWindow): void => {
    if (w.leg !== leg) return;
    got.push(w);
    if (tail >= 0 && ++tail >= after) done();
  };
  sim.on('audio', on);
  try {
    await send();
    tail = 0;
    const timer = setTimeout(done, WAIT);
    await finished;
    clearTimeout(timer);
  } finally {
    sim.off('audio', on);
  }
  return got;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

t.test('tone, DTMF and speech both ways between two simulators', async (t) => {
  const pstn = new PstnSim({
    native: loadTdmNative, media: loadSimMedia, reportAudio: true,
    span: { ...base, id: 'pstn', side: 'network', localAddress: A, localPort: 26110, remoteAddress: B, remotePort: 26111 },
  });
  const pbx = new PstnSim({
    native: loadTdmNative, media: loadSimMedia, reportAudio: true, incoming: { action: 'answer' },
    span: { ...base, id: 'pbx', side: 'user', localAddress: B, localPort: 26111, remoteAddress: A, remotePort: 26110 },
  });
  t.teardown(async () => { await pstn.close(); await pbx.close(); });
  const reports: SimReport[] = [];
  pbx.on('report', (r) => reports.push(r));
  await pstn.start();
  await pbx.start();
  await Promise.all([pstn.waitUp(WAIT), pbx.waitUp(WAIT)]);

  const connected = pbx.waitFor((r) => r.event === 'connect', WAIT);
  const answered = new Promise<SimReport>((r) => pstn.on('report', (x) => { if (x.event === 'answer') r(x); }));
  // the user side's layer 2 can come up a little after the network side reports it
  let out = '';
  for (let i = 0; i < 5 && !out; i++) {
    const id = await pstn.call({ calling: '2125550100', called: '4000' });
    const first = await Promise.race([answered.then(() => 'answer'), pstn.waitFor((r) => r.event === 'hangup' && r.leg === id, WAIT).then(() => 'hangup')]);
    if (first === 'answer') out = id;
  }
  t.ok(out, 'the call was answered');
  const inc = (await connected)?.leg as string;

  const dirs: Array<[string, PstnSim, string, PstnSim, string]> = [
    ['PSTN -> PBX', pstn, out, pbx, inc],
    ['PBX -> PSTN', pbx, inc, pstn, out],
  ];
  for (const [name, tx, txLeg, rx, rxLeg] of dirs) {
    const ws = await collect(rx, rxLeg, () => tx.sendTone(txLeg, { freqHz: 1004, levelDbm0: -10, ms: 2000 }));
    const tonal = ws.filter((w) => w.tonality > 0.9 && w.levelDbm0 > -30);
    const f = median(tonal.map((w) => w.freqHz));
    const l = median(tonal.map((w) => w.levelDbm0));
    t.ok(tonal.length >= 8, `${name}: ${tonal.length} tone windows of ${ws.length}`);
    t.ok(Math.abs(f - 1004) <= 10, `${name}: 1004 Hz arrived as ${f.toFixed(2)} Hz`);
    t.ok(Math.abs(l + 10) <= 1, `${name}: -10 dBm0 arrived as ${l.toFixed(2)} dBm0`);

    const digits: string[] = [];
    const onDigit = (d: { leg: string; digit: string }): void => { if (d.leg === rxLeg) digits.push(d.digit); };
    rx.on('dtmf', onDigit);
    const four = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: digits so far ${digits.join('')}`)), WAIT);
      const check = (): void => { if (digits.length >= 4) { clearTimeout(timer); rx.off('dtmf', check); resolve(); } };
      rx.on('dtmf', check);
    });
    await tx.sendDtmf(txLeg, '159#');
    await four;
    rx.off('dtmf', onDigit);
    t.equal(digits.join(''), '159#', `${name}: DTMF in-band`);

    const speech = await collect(rx, rxLeg, () => tx.say(txLeg, 'This is the branch office gateway speaking.'));
    const loud = speech.filter((w) => w.levelDbm0 > -40);
    const peak = Math.max(...speech.map((w) => w.levelDbm0));
    t.ok(loud.length >= 5, `${name}: speech arrived with energy in ${loud.length} of ${speech.length} windows, peak ${peak.toFixed(1)} dBm0`);
  }
  t.ok(reports.some((r) => r.event === 'audio' && r.kind === 'tone' && Math.abs((r.freqHz as number) - 1004) <= 10), 'tone segment reported');
  t.ok(reports.some((r) => r.event === 'dtmf' && r.digit === '#'), 'digit reported');
  t.ok(reports.some((r) => r.event === 'audio' && r.kind === 'sound'), 'speech segment reported');

  const ended = pbx.waitFor((r) => r.event === 'hangup' && r.leg === inc, WAIT);
  await pstn.hangup(out, 16);
  t.match(await ended, { cause: 16 });
});
