// The demo's calls: sipp peers stand for the PBX and the UC server behind their trunks, place a
// few calls through the running gateway with RTP from the demo's phones both ways, and the
// outcome of each is read back from the CDR store and from what each far end received.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdrStore, type CdrRow } from '../../cdr/store.js';
import { loadSimMedia, loadTdmNative } from '../../tdm/native.js';
import { PstnSim, type SimAudioWindow } from '../../tdm/sim.js';
import { PSTN_CALLER, freeUdpPort, pstnSpan, type DemoNet, type DemoPorts } from './demo-config.js';
import { DEMO_CODECS, RtpEndpoint, type DemoCodec } from './rtp-endpoint.js';
import { SippPeer } from './sipp-peer.js';

export interface DemoCallSpec {
  what: string;
  /** pbx and uc: a sipp UAC on that trunk; pstn: the PSTN simulator on the PRI span. */
  from: 'pbx' | 'uc' | 'pstn';
  calling: string;
  called: string;
  /** What the caller offers. */
  codec: DemoCodec;
  /** Expected to be answered (RTP streamed both ways) or refused. */
  answered: boolean;
}

export const DEMO_CALLS: DemoCallSpec[] = [
  { what: 'PBX extension calls a user moved to the UC server (G.711 ⇄ G.722 transcoded)', from: 'pbx', calling: '+15551001001', called: '+15552001001', codec: DEMO_CODECS.PCMU, answered: true },
  { what: 'UC user calls a PBX extension (G.711 end to end)', from: 'uc', calling: '+15552001002', called: '+15551001002', codec: DEMO_CODECS.PCMU, answered: true },
  { what: 'PBX extension dials a number no site owns: out to the PSTN over PRI, which has no such number (cause 1)', from: 'pbx', calling: '+15551001003', called: '+15559990000', codec: DEMO_CODECS.PCMU, answered: false },
  { what: 'PSTN caller dials a UC user (ISDN PRI → gateway → SIP: tone and DTMF across)', from: 'pstn', calling: PSTN_CALLER, called: '+15552001004', codec: DEMO_CODECS.PCMU, answered: true },
];

/** DTMF the PSTN caller sends in-band on the B-channel. */
export const PSTN_DIGITS = '159#';

export interface DemoOutcome {
  spec: DemoCallSpec;
  /** SIP final status the caller got (200 for answered calls). */
  status: number;
  /** RTP packets each phone received during the call, by payload type. */
  callerGot: Record<number, number>;
  calleeGot: Record<number, number>;
  cdr: CdrRow | undefined;
  problem?: string;
  /** PSTN calls: what the PSTN line heard (the UC phone's 1 kHz tone) and the digits the UC phone got. */
  pstn?: { heardHz: number; heardDbm0: number; tonalWindows: number; ucDigits: string };
}

const WAIT_MS = 30_000;
const TALK_MS = 3_000;

/** The two trunk peers (sipp UAS) and their phones' RTP endpoints; stop() ends them. */
export class DemoPeers {
  readonly dir = mkdtempSync(join(tmpdir(), 'spangate-demo-'));
  peers: Record<'pbx' | 'uc', SippPeer> | undefined;
  /** The PSTN: the network side of the gateway's PRI span, with B-channel audio. */
  pstn: PstnSim | undefined;
  phones: Record<'pbx' | 'uc', RtpEndpoint> | undefined;
  /** Callers (sipp UACs) of calls in progress, killed by stop(). */
  readonly callers = new Set<SippPeer>();

  constructor(readonly net: DemoNet, readonly ports: DemoPorts) {}

  async start(): Promise<void> {
    const phones = { pbx: await RtpEndpoint.open(this.net.gw), uc: await RtpEndpoint.open(this.net.gw) };
    this.phones = phones;
    const uas = (side: 'pbx' | 'uc', codec: DemoCodec): SippPeer => new SippPeer({
      scenario: 'uas-answer.xml', ip: this.net[side], port: this.ports[side], dir: this.dir,
      keys: { rtp_ip: this.net.gw, rtp_port: String(phones[side].port), codec: codec.rtpmap }, sets: { ring_ms: '300' },
    });
    this.peers = { pbx: uas('pbx', DEMO_CODECS.PCMU), uc: uas('uc', DEMO_CODECS.G722) };
    // The simulated PSTN knows none of the numbers the demo dials out: unallocated (1).
    this.pstn = new PstnSim({
      native: loadTdmNative, media: loadSimMedia, span: pstnSpan(this.net, this.ports, 'network'), incoming: { action: 'reject', cause: 1 },
    });
    await this.pstn.start();
  }

  /** Kills every sipp of the demo (calls in progress fail at once) and closes the phones. */
  async stop(): Promise<void> {
    for (const p of [...this.callers, ...Object.values(this.peers ?? {})]) await p.stop();
    for (const e of Object.values(this.phones ?? {})) e.close();
    await this.pstn?.close().catch(() => undefined);
    this.pstn = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function snapshot(e: RtpEndpoint): Record<number, number> {
  return Object.fromEntries(e.received);
}

function delta(after: Record<number, number>, before: Record<number, number>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const [pt, n] of Object.entries(after)) {
    const d = n - (before[Number(pt)] ?? 0);
    if (d > 0) out[Number(pt)] = d;
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

/**
 * The PSTN simulator calls a UC number over the PRI span; the UC server's peer answers and its
 * phone streams a 1 kHz tone (G.722, transcoded to G.711 by rtpengine for the B-channel); the
 * PSTN caller sends DTMF in-band (the gateway turns it into RFC 4733), listens (the line
 * monitor measures what arrives on its B-channel) and hangs up after TALK_MS.
 */
async function placePstnCall(p: DemoPeers, spec: DemoCallSpec): Promise<Omit<DemoOutcome, 'cdr'>> {
  const sim = p.pstn!;
  const callee = p.peers!.uc;
  const phone = p.phones!.uc;
  const mediaBefore = callee.events.filter((e) => e.kind === 'media').length;
  const before = snapshot(phone);
  phone.digits = '';
  const windows: SimAudioWindow[] = [];
  let leg = '';
  const onAudio = (w: SimAudioWindow): void => { if (w.leg === leg) windows.push(w); };
  sim.on('audio', onAudio);
  try {
    await sim.waitUp(WAIT_MS);
    const answered = sim.waitFor((r) => r.event === 'answer', WAIT_MS).then(() => 'answer', () => 'no answer in time');
    const failed = sim.waitFor((r) => r.event === 'hangup', WAIT_MS).then((r) => `hangup ${String(r?.cause)}`, () => 'no answer in time');
    leg = await sim.call({ calling: spec.calling.replace(/^\+/, ''), called: spec.called.replace(/^\+/, ''), callingTon: 'international', calledTon: 'international' });
    const offer = await callee.waitEvent('media', { timeoutMs: WAIT_MS, index: mediaBefore });
    const codec = Object.values(DEMO_CODECS).find((c) => c.name.toLowerCase() === offer.codec.toLowerCase()) ?? DEMO_CODECS.PCMU;
    phone.stream(offer.ip, offer.port, codec, offer.pt, TALK_MS / 20);
    const first = await Promise.race([answered, failed]);
    if (first !== 'answer') throw new Error(`the PSTN call was not answered (${first})`);
    // The caller dials as soon as the call is answered, while the UC phone already talks: the
    // line's echo canceller is fresh and in double talk then, which its DTMF guard handles
    // (native/src/dsp/ec.c). 150 ms digits, far above the 40 ms a receiver needs.
    await sim.sendDtmf(leg, PSTN_DIGITS, 150, 150);
    // The call lasts as long as the UC phone talks (its stream stops itself after TALK_MS).
    await new Promise((r) => setTimeout(r, TALK_MS));
    const hung = sim.waitFor((r) => r.event === 'hangup' && r.leg === leg, WAIT_MS);
    await sim.hangup(leg, 16);
    await hung;
    const tonal = windows.filter((w) => w.levelDbm0 > -40 && w.tonality >= 0.85);
    return {
      spec, status: 200, callerGot: {}, calleeGot: delta(snapshot(phone), before),
      pstn: { heardHz: median(tonal.map((w) => w.freqHz)), heardDbm0: median(tonal.map((w) => w.levelDbm0)), tonalWindows: tonal.length, ucDigits: phone.digits },
    };
  } catch (e) {
    return { spec, status: 0, callerGot: {}, calleeGot: delta(snapshot(phone), before), problem: (e as Error).message };
  } finally {
    sim.off('audio', onAudio);
    phone.stopStream();
    phone.sent = 0;
  }
}

async function placeCall(p: DemoPeers, sipTarget: string, spec: DemoCallSpec): Promise<Omit<DemoOutcome, 'cdr'>> {
  if (spec.from === 'pstn') return placePstnCall(p, spec);
  const to = spec.from === 'pbx' ? 'uc' : 'pbx';
  const callee = p.peers![to];
  const calleePhone = p.phones![to];
  const callerPhone = await RtpEndpoint.open(p.net.gw);
  const mediaBefore = callee.events.filter((e) => e.kind === 'media').length;
  const before = snapshot(calleePhone);
  const caller = new SippPeer({
    scenario: spec.answered ? 'uac-call.xml' : 'uac-fail.xml', ip: p.net[spec.from], port: await freeUdpPort(p.net[spec.from]),
    target: sipTarget, called: spec.called, calls: 1, pauseMs: TALK_MS, dir: p.dir, timeoutS: 60,
    keys: { calling: spec.calling, rtp_ip: p.net.gw, rtp_port: String(callerPhone.port), pt: String(spec.codec.pt), codec: spec.codec.rtpmap },
  });
  p.callers.add(caller);
  try {
    if (!spec.answered) {
      const final = await caller.waitEvent('final', { timeoutMs: WAIT_MS });
      await caller.done;
      return { spec, status: final.status, callerGot: {}, calleeGot: {} };
    }
    const answer = await caller.waitEvent('media', { timeoutMs: WAIT_MS });
    callerPhone.stream(answer.ip, answer.port, spec.codec, spec.codec.pt, TALK_MS / 20);
    // The callee peer logs each call's offer; this call's is the next one.
    const offer = await callee.waitEvent('media', { timeoutMs: WAIT_MS, index: mediaBefore });
    const codec = Object.values(DEMO_CODECS).find((c) => c.name.toLowerCase() === offer.codec.toLowerCase()) ?? DEMO_CODECS.PCMU;
    calleePhone.stream(offer.ip, offer.port, codec, offer.pt, TALK_MS / 20);
    const { code } = await caller.done;
    calleePhone.stopStream();
    calleePhone.sent = 0;
    const out = { spec, status: code === 0 ? 200 : 0, callerGot: snapshot(callerPhone), calleeGot: delta(snapshot(calleePhone), before) };
    return code === 0 ? out : { ...out, problem: caller.problems() };
  } catch (e) {
    return { spec, status: 0, callerGot: snapshot(callerPhone), calleeGot: delta(snapshot(calleePhone), before), problem: (e as Error).message };
  } finally {
    p.callers.delete(caller);
    await caller.stop();
    callerPhone.close();
  }
}

/**
 * Places the demo calls one after the other while `alive()` (the daemon runs); each outcome
 * carries its CDR row.
 */
export async function runDemoCalls(p: DemoPeers, sipTarget: string, cdrFile: string, alive: () => boolean, calls = DEMO_CALLS): Promise<DemoOutcome[]> {
  const outcomes: Omit<DemoOutcome, 'cdr'>[] = [];
  const since = Date.now();
  for (const spec of calls) {
    if (!alive()) break;
    outcomes.push(await placeCall(p, sipTarget, spec));
  }
  // CDRs are written as calls end; the last one may trail its BYE by a moment.
  let rows: CdrRow[] = [];
  for (let i = 0; i < 100; i++) {
    const store = new CdrStore(cdrFile);
    try { rows = store.query({ since, limit: 1000 }).reverse(); } finally { store.close(); }
    if (rows.length >= outcomes.length || !alive()) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return outcomes.map((o) => ({ ...o, cdr: rows.find((r) => r.a.called === o.spec.called && r.a.calling === o.spec.calling) }));
}
