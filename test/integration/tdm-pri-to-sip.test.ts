// PSTN → UC with audio: the PSTN simulator (network side of an E1 over vspan, real libpri on
// both ends) calls a UC-owned number; the real daemon routes it through the call core to the
// UC SIP trunk, where sipp answers (180, then 200) with media at an RTP endpoint in this test
// that decodes what arrives. The B-channel's RTP endpoint in the native engine is anchored
// through the managed rtpengine. Checked: local ringback (425 Hz, country de) on the B-channel
// while the SIP side rings without early media; a 1004 Hz −10 dBm0 tone sent on the B-channel
// arrives decoded on the SIP side at that frequency and level, and back the other way (the
// simulator's line monitor); DTMF in-band on the PRI side arrives as RFC 4733 on the SIP
// side, and RFC 4733 from the SIP side arrives in-band on the B-channel; the PSTN hangs up,
// sipp gets the BYE; the CDR has both legs with the span and channel.
import t from 'tap';
import { AudioRtpPeer, blockSummary, toneStats } from './support/audio-rtp.js';
import { PORTS, UC_NATIONAL, median, priSipRig, simWindows } from './support/pri-sip.js';

import { sippText, startSipp } from './support/calls.js';
import { waitCdrs } from './support/records.js';
import { runCli } from '../fixtures/daemon.js';
import type { SimAudioWindow, SimReport } from '../../src/tdm/sim.js';

const WAIT = 60_000;

t.test('PSTN → gateway → UC: ringback, tones and DTMF both ways over PRI ⇄ RTP ⇄ rtpengine ⇄ SIP', async (t) => {
  const { gw, sim, addr } = await priSipRig(t, 0);
  const phone = await AudioRtpPeer.open(t, addr.uc);
  const uas = await startSipp(t, {
    scenario: 'uas-answer.xml', ip: addr.uc, port: PORTS.uas, calls: 1,
    keys: { rtp_ip: addr.uc, rtp_port: String(phone.port), codec: 'PCMU/8000' },
    sets: { ring_ms: '2500' },
  });

  // 1. The call: ALERTING with in-band ringback generated on the B-channel while sipp rings.
  const ringing = sim.waitFor((r) => r.event === 'ringing', WAIT);
  const answered = sim.waitFor((r) => r.event === 'answer', WAIT);
  const windows: SimAudioWindow[] = [];
  const onWin = (w: SimAudioWindow): void => { windows.push(w); };
  sim.on('audio', onWin);
  const leg = await sim.call({ calling: '301234567', called: UC_NATIONAL, callingTon: 'national', calledTon: 'national' });
  await ringing;
  const ans = (await answered) as SimReport;
  sim.off('audio', onWin);
  const rb = windows.filter((w) => w.leg === leg && w.tonality > 0.8 && w.levelDbm0 > -40);
  t.ok(rb.length >= 3, `ringback heard on the B-channel before the answer (${rb.length} tonal windows of ${windows.length})`);
  t.ok(rb.length > 0 && Math.abs(median(rb.map((w) => w.freqHz)) - 425) <= 10, `ringback at 425 Hz (de): ${median(rb.map((w) => w.freqHz)).toFixed(1)} Hz`);
  t.ok((ans.channel as number) > 0, `answered on B-channel ${ans.channel as number}`);

  // 2. Media: the phone streams (silence) to where the gateway's INVITE said (rtpengine).
  const media = await uas.waitEvent('media');
  t.equal(media.ip, addr.gw, 'the UC side was offered the relay\'s address');
  t.equal(media.codec, 'PCMU', 'and G.711 µ-law');
  phone.stream({ ip: media.ip, port: media.port }, 'PCMU', media.pt);
  await phone.waitUntil(() => phone.samples.length >= 8000, 'a second of audio from the B-channel');

  // 3. PSTN → SIP: 1004 Hz at −10 dBm0 on the B-channel, decoded at the SIP phone.
  const mark = phone.samples.length;
  const simBefore = sim.manager.show()[0]?.counters;
  await sim.sendTone(leg, { freqHz: 1004, levelDbm0: -10, ms: 2000 });
  await phone.waitUntil(() => phone.samples.length >= mark + 2400 * 8, 'the tone\'s tail at the SIP phone');
  const got = toneStats(phone.samples.slice(mark));
  t.ok(got.frames >= 75, `PSTN → SIP: ${got.frames} loud 20 ms frames (2 s sent)`);
  t.ok(Math.abs(got.freqHz - 1004) <= 5, `PSTN → SIP: 1004 Hz arrived as ${got.freqHz.toFixed(2)} Hz`);
  t.ok(Math.abs(got.levelDbm0 + 10) <= 1, `PSTN → SIP: −10 dBm0 arrived as ${got.levelDbm0.toFixed(2)} dBm0`);
  // When it is not clean, say where it broke: each 100 ms block, gaps in the RTP stream, and
  // the slips and losses both spans counted meanwhile.
  const clean = got.tonality > 0.9;
  const why = clean ? '' : `; blocks ${blockSummary(got.blocks)}; RTP sequence jumps ${JSON.stringify(phone.seqJumps.filter((j) => j.at >= mark))}` +
    `; sim span counters before ${JSON.stringify(simBefore)} after ${JSON.stringify(sim.manager.show()[0]?.counters)}` +
    `; gateway spans ${(await runCli(['show', 'spans', '--json', '--socket', gw.adminSocket])).stdout}`;
  t.ok(clean, `PSTN → SIP: a clean tone (tonality ${got.tonality.toFixed(3)})${why}`);

  // 4. SIP → PSTN: the phone sends 1004 Hz at −10 dBm0; the simulator's line monitor hears it.
  const tonal = (w: SimAudioWindow): boolean => w.tonality > 0.9 && w.levelDbm0 > -30;
  let enough: () => void = () => undefined;
  const heard = new Promise<void>((r) => { enough = r; });
  const ws = await simWindows(sim, leg, async () => {
    const seen: SimAudioWindow[] = [];
    const count = (w: SimAudioWindow): void => { seen.push(w); if (w.leg === leg && tonal(w)) { n += 1; if (n >= 12) enough(); } };
    let n = 0;
    sim.on('audio', count);
    phone.tone({ freqHz: 1004, levelDbm0: -10 });
    await Promise.race([heard, new Promise((_r, j) => setTimeout(() => void runCli(['show', 'spans', '--json', '--socket', gw.adminSocket]).then((r) => j(new Error(`no tone on the B-channel; windows: ${JSON.stringify(seen.slice(-3))}; spans: ${r.stdout}`))), WAIT).unref())]);
    phone.tone(undefined);
    sim.off('audio', count);
  });
  const tw = ws.filter(tonal);
  t.ok(tw.length >= 12, `SIP → PSTN: ${tw.length} tone windows on the B-channel`);
  t.ok(Math.abs(median(tw.map((w) => w.freqHz)) - 1004) <= 10, `SIP → PSTN: 1004 Hz arrived as ${median(tw.map((w) => w.freqHz)).toFixed(2)} Hz`);
  t.ok(Math.abs(median(tw.map((w) => w.levelDbm0)) + 10) <= 1, `SIP → PSTN: −10 dBm0 arrived as ${median(tw.map((w) => w.levelDbm0)).toFixed(2)} dBm0`);

  // 5. DTMF PSTN → SIP: in-band on the B-channel, RFC 4733 at the phone.
  const before = phone.digits().length;
  await sim.sendDtmf(leg, '159#', 100, 100);
  await phone.waitUntil(() => phone.digits().length >= before + 4, 'four RFC 4733 digits');
  t.equal(phone.digits().slice(before), '159#', 'PSTN → SIP: in-band 159# arrived as RFC 4733 events');

  // 6. DTMF SIP → PSTN: RFC 4733 from the phone, in-band on the B-channel.
  const digits: string[] = [];
  const onDigit = (d: { leg: string; digit: string }): void => { if (d.leg === leg) digits.push(d.digit); };
  sim.on('dtmf', onDigit);
  const four = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`SIP → PSTN digits so far: ${digits.join('')}`)), WAIT);
    const check = (): void => { if (digits.length >= 4) { clearTimeout(timer); sim.off('dtmf', check); resolve(); } };
    sim.on('dtmf', check);
  });
  for (const d of '73*0') await phone.sendDigit(d, 120);
  await four;
  sim.off('dtmf', onDigit);
  t.equal(digits.join(''), '73*0', 'SIP → PSTN: RFC 4733 73*0 arrived in-band on the B-channel');

  // 7. The PSTN hangs up: sipp gets the BYE, the CDR has both legs.
  const hung = sim.waitFor((r) => r.event === 'hangup' && r.leg === leg, WAIT);
  await sim.hangup(leg, 16);
  await hung;
  const r = await uas.done;
  t.equal(r.code, 0, `sipp UAS got the BYE: ${sippText(r)}`);
  phone.stop();
  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.match(cdr, { disposition: 'answered', cause: 16, endedBy: 'a', a: { kind: 'tdm', trunk: 'pstn', span: 'pstn' }, b: { kind: 'sip', trunk: 'uc' } });
  t.ok((cdr!.a.channel ?? 0) > 0, `CDR: B-channel ${cdr!.a.channel}`);
  t.ok((cdr!.b?.rtp?.packetsIn ?? 0) >= 100 && (cdr!.a.rtp?.packetsIn ?? 0) >= 100, 'rtpengine counted RTP from both sides');
});

t.test('PSTN → UC with early media: SIP 183 with SDP → PROGRESS in-band, the far side\'s audio on the B-channel before the answer', async (t) => {
  const { sim, addr } = await priSipRig(t, 2);
  const phone = await AudioRtpPeer.open(t, addr.uc);
  const uas = await startSipp(t, {
    scenario: 'uas-early-media.xml', ip: addr.uc, port: PORTS.uas, calls: 1,
    keys: { rtp_ip: addr.uc, rtp_port: String(phone.port), codec: 'PCMU/8000' },
    sets: { ring_ms: '30000' },
  });
  const early = sim.waitFor((r) => r.event === 'early-media', WAIT);
  const before: SimAudioWindow[] = [];
  const onWin = (w: SimAudioWindow): void => { before.push(w); };
  sim.on('audio', onWin);
  const leg = await sim.call({ calling: '301234567', called: UC_NATIONAL, callingTon: 'national', calledTon: 'national' });
  const media = await uas.waitEvent('media');
  phone.stream({ ip: media.ip, port: media.port }, 'PCMU', media.pt);
  phone.tone({ freqHz: 697, levelDbm0: -12 });
  t.match(await early, { event: 'early-media', leg }, 'the PSTN caller got PROGRESS with the in-band indicator');
  // The announcement (the phone's tone) is on the B-channel while the call is not answered.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no early media on the B-channel: ${JSON.stringify(before.slice(-3))}`)), WAIT);
    const check = (): void => {
      if (before.filter((w) => w.leg === leg && w.tonality > 0.9 && Math.abs(w.freqHz - 697) < 10).length < 6) return;
      clearTimeout(timer);
      sim.off('audio', check);
      resolve();
    };
    sim.on('audio', check);
  });
  sim.off('audio', onWin);
  const heard = before.filter((w) => w.leg === leg && w.tonality > 0.9 && Math.abs(w.freqHz - 697) < 10);
  t.ok(Math.abs(median(heard.map((w) => w.levelDbm0)) + 12) <= 1, `early media at ${median(heard.map((w) => w.levelDbm0)).toFixed(2)} dBm0 (−12 sent)`);
  t.notOk(before.some((w) => w.leg === leg && Math.abs(w.freqHz - 425) < 10 && w.tonality > 0.8), 'no local ringback over the far side\'s early media');
  t.same(sim.legs(), [leg], 'still unanswered');
  const hung = sim.waitFor((r) => r.event === 'hangup' && r.leg === leg, WAIT);
  await sim.hangup(leg, 16);
  await hung;
  phone.stop();
  await uas.stop();
});
