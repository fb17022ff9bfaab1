// UC → PSTN with audio, and the causes both ways: a sipp UAC on the UC trunk (media at an RTP
// endpoint in this test) calls a PSTN number; the real daemon routes it to the E1 span, where
// the PSTN simulator (network side, real libpri) rings and answers. A 1004 Hz −10 dBm0 tone
// goes each way (decoded at the SIP phone; the simulator's line monitor), then the PSTN hangs
// up (BYE to the UC side); a second call is hung up by the UC side (DISCONNECT 16 to the PSTN).
// Causes: PSTN busy 17 → SIP 486, unallocated 1 → 404, no answer → 19 → 480, a number routing
// refuses → 404; and PSTN → UC: SIP 486 → cause 17, 404 → cause 1 (src/call/causes.ts).
import t from 'tap';
import { AudioRtpPeer, toneStats } from './support/audio-rtp.js';
import { PORTS, PSTN_E164, UC_E164, UC_NATIONAL, UNALLOCATED_E164, median, priSipRig, simWindows, type PriSipRig } from './support/pri-sip.js';
import { failingCall, sippText, startSipp } from './support/calls.js';

import { waitCdrs } from './support/records.js';
import type { SimAudioWindow, SimReport } from '../../src/tdm/sim.js';

const WAIT = 60_000;

/** What failingCall needs of the rig: the UC peer's address and the gateway's SIP target. */
function target(r: PriSipRig): { addr: { uc: string; gw: string; pbx: string; uc2: string; stranger: string }; sipTarget: string } {
  return { addr: { uc: r.addr.uc, gw: r.addr.gw, pbx: r.addr.sim, uc2: r.addr.uc, stranger: r.addr.sim }, sipTarget: r.sipTarget };
}

t.test('UC → gateway → PSTN: audio both ways, BYE either way, causes mapped both ways', async (t) => {
  const rig = await priSipRig(t, 1, { ringTimeoutMs: 4000 });
  const { gw, sim, addr } = rig;

  // 1. An answered call: 180 (the PSTN alerts), 200 with the relay's address.
  const phone = await AudioRtpPeer.open(t, addr.uc);
  const incoming = sim.waitFor((r) => r.event === 'incoming', WAIT);
  const connected = sim.waitFor((r) => r.event === 'connect', WAIT);
  const uac = await startSipp(t, {
    scenario: 'uac-remote-bye.xml', ip: addr.uc, port: PORTS.uac, target: rig.sipTarget, calls: 1, called: PSTN_E164,
    keys: { calling: UC_E164, rtp_ip: addr.uc, rtp_port: String(phone.port), pt: '0', codec: 'PCMU/8000' },
  });
  const inc = (await incoming) as SimReport;
  t.match(inc, { called: '301234567', calledTon: 'national', calling: '30555123', callingTon: 'national' }, 'numbers in the PSTN trunk\'s national format, TON national');
  const leg = inc.leg as string;
  await connected;
  const media = await uac.waitEvent('media');
  t.equal(media.ip, addr.gw, 'the UC side sends to the relay');
  phone.stream({ ip: media.ip, port: media.port }, 'PCMU', media.pt);
  await phone.waitUntil(() => phone.samples.length >= 8000, 'a second of audio from the B-channel');

  // 2. PSTN → UC tone.
  const mark = phone.samples.length;
  await sim.sendTone(leg, { freqHz: 1004, levelDbm0: -10, ms: 2000 });
  await phone.waitUntil(() => phone.samples.length >= mark + 2400 * 8, 'the tone\'s tail at the SIP phone');
  const a = toneStats(phone.samples.slice(mark));
  t.ok(a.frames >= 75, `PSTN → UC: ${a.frames} loud frames`);
  t.ok(Math.abs(a.freqHz - 1004) <= 5, `PSTN → UC: 1004 Hz arrived as ${a.freqHz.toFixed(2)} Hz`);
  t.ok(Math.abs(a.levelDbm0 + 10) <= 1, `PSTN → UC: −10 dBm0 arrived as ${a.levelDbm0.toFixed(2)} dBm0`);

  // 3. UC → PSTN tone, heard by the simulator's line monitor.
  const tonal = (w: SimAudioWindow): boolean => w.tonality > 0.9 && w.levelDbm0 > -30;
  const ws = await simWindows(sim, leg, async () => {
    let n = 0;
    let enough: () => void = () => undefined;
    const heard = new Promise<void>((r) => { enough = r; });
    const count = (w: SimAudioWindow): void => { if (w.leg === leg && tonal(w) && ++n >= 12) enough(); };
    sim.on('audio', count);
    phone.tone({ freqHz: 1004, levelDbm0: -10 });
    const timer = setTimeout(enough, WAIT);
    await heard;
    clearTimeout(timer);
    phone.tone(undefined);
    sim.off('audio', count);
  });
  const tw = ws.filter(tonal);
  t.ok(tw.length >= 12, `UC → PSTN: ${tw.length} tone windows on the B-channel`);
  t.ok(Math.abs(median(tw.map((w) => w.freqHz)) - 1004) <= 10, `UC → PSTN: 1004 Hz arrived as ${median(tw.map((w) => w.freqHz)).toFixed(2)} Hz`);
  t.ok(Math.abs(median(tw.map((w) => w.levelDbm0)) + 10) <= 1, `UC → PSTN: −10 dBm0 arrived as ${median(tw.map((w) => w.levelDbm0)).toFixed(2)} dBm0`);

  // 4. The PSTN hangs up: the UC side gets the BYE.
  await sim.hangup(leg, 16);
  const r1 = await uac.done;
  t.equal(r1.code, 0, `UAC got the BYE: ${sippText(r1)}`);
  phone.stop();

  // 5. A call the UC side hangs up: DISCONNECT with 16 reaches the PSTN.
  const inc2 = sim.waitFor((r) => r.event === 'incoming', WAIT);
  const uac2 = await startSipp(t, {
    scenario: 'uac-call.xml', ip: addr.uc, port: PORTS.uac, target: rig.sipTarget, calls: 1, called: PSTN_E164, pauseMs: 1000,
    keys: { calling: UC_E164, rtp_ip: addr.uc, rtp_port: String(phone.port), pt: '0', codec: 'PCMU/8000' },
  });
  const leg2 = ((await inc2) as SimReport).leg as string;
  const hung2 = sim.waitFor((r) => r.event === 'hangup' && r.leg === leg2, WAIT);
  const r2 = await uac2.done;
  t.equal(r2.code, 0, `UAC sent BYE: ${sippText(r2)}`);
  t.match(await hung2, { cause: 16, by: 'remote' }, 'the PSTN side clears with 16');
  const cdrs = await waitCdrs(gw.cdrFile, 2);
  t.match(cdrs.find((c) => c.endedBy === 'b'), { disposition: 'answered', a: { kind: 'sip', trunk: 'uc' }, b: { kind: 'tdm', trunk: 'pstn', span: 'pstn' } }, 'CDR: PSTN hung up');
  t.match(cdrs.find((c) => c.endedBy === 'a'), { disposition: 'answered', cause: 16 }, 'CDR: UC hung up');

  // 6. Causes UC → PSTN: busy, unallocated, no answer, refused by routing.
  const tgt = target(rig);
  const fail = async (called: string): Promise<{ status: number }> => {
    const r = await failingCall(t, tgt, { from: 'uc', called, port: PORTS.uac, keys: { calling: UC_E164, rtp_ip: addr.uc, rtp_port: String(phone.port) } });
    if (r.status === 0) t.comment(`no final status: ${sippText(r.result)}`);
    return r;
  };
  sim.setPolicy({ action: 'reject', cause: 17 });
  t.equal((await fail('+49301234561')).status, 486, 'PSTN busy (17) → SIP 486');
  sim.setPolicy({ action: 'reject', cause: 1 });
  t.equal((await fail('+49301234562')).status, 404, 'PSTN unallocated (1) → SIP 404');
  sim.setPolicy({ action: 'ring' });
  t.equal((await fail('+49301234563')).status, 480, 'PSTN rings without answer: ring timeout (19) → SIP 480');
  t.equal((await fail(UNALLOCATED_E164)).status, 404, 'a number routing refuses (1) → SIP 404');

  // 7. Causes PSTN → UC: the UC side refuses with 486 and 404.
  for (const [status, reason, cause] of [[486, 'Busy Here', 17], [404, 'Not Found', 1]] as const) {
    const uas = await startSipp(t, { scenario: 'uas-reject.xml', ip: addr.uc, port: PORTS.uas, calls: 1, replace: [['486 Busy Here', `${status} ${reason}`]] });
    const hung = sim.waitFor((r) => r.event === 'hangup', WAIT);
    await sim.call({ calling: '301234567', called: UC_NATIONAL, callingTon: 'national', calledTon: 'national' });
    t.match(await hung, { cause }, `SIP ${status} → PRI cause ${cause} to the PSTN caller`);
    await uas.done;
  }
});

t.test('UC → PSTN with early media: PROGRESS in-band → SIP 183 with SDP, the PSTN\'s announcement heard before the answer', async (t) => {
  const rig = await priSipRig(t, 3);
  const { sim, addr } = rig;
  sim.setPolicy({ action: 'ring' });
  // The PSTN side sends PROGRESS with the in-band indicator once it rings (an announcement).
  sim.manager.on('incoming', (l) => { void l.progress({ ringing: false }, {}).catch(() => undefined); });
  const phone = await AudioRtpPeer.open(t, addr.uc);
  const incoming = sim.waitFor((r) => r.event === 'incoming', WAIT);
  const uac = await startSipp(t, {
    scenario: 'uac-early-media.xml', ip: addr.uc, port: PORTS.uac, target: rig.sipTarget, calls: 1, called: PSTN_E164,
    keys: { calling: UC_E164, rtp_ip: addr.uc, rtp_port: String(phone.port), pt: '0', codec: 'PCMU/8000' },
  });
  const leg = ((await incoming) as SimReport).leg as string;
  const early = await uac.waitEvent('media', { where: (e) => e.callId.endsWith('-183') });
  t.equal(early.ip, addr.gw, 'a 183 with SDP (the relay\'s address) reached the UC caller');
  const mark = phone.samples.length;
  await sim.sendTone(leg, { freqHz: 1004, levelDbm0: -10, ms: 1500 });
  await phone.waitUntil(() => phone.samples.length >= mark + 1800 * 8, 'the announcement at the SIP phone');
  const a = toneStats(phone.samples.slice(mark));
  t.ok(a.frames >= 50 && Math.abs(a.freqHz - 1004) <= 5, `early media: ${a.frames} loud frames at ${a.freqHz.toFixed(1)} Hz before the answer`);
  t.equal(uac.count('media'), 1, 'no 200 yet');
  await sim.answer(leg);
  const ok = await uac.waitEvent('media', { where: (e) => !e.callId.endsWith('-183') });
  t.equal(ok.port, early.port, 'the 200 keeps the early media\'s address');
  await sim.hangup(leg, 16);
  const r = await uac.done;
  t.equal(r.code, 0, `UAC: 183, 200, BYE: ${sippText(r)}`);
  phone.stop();
});
