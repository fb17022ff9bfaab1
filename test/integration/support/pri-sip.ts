// The PRI⇄SIP scenario the tdm-pri-to-sip / tdm-sip-to-pri tests share: the real daemon
// (`spangate run`) with one E1 span (EuroISDN, user side, A-law) toward the PSTN simulator in
// the test process (network side, with B-channel audio: tones, in-band DTMF, line monitor),
// one SIP trunk "uc" toward a sipp peer whose media is an AudioRtpPeer in the test, the managed
// rtpengine, and routes: PSTN → UC for +4930555…, UC → PSTN for other +49 numbers, +49305559…
// unallocated (cause 1). Addresses come from this checkout's 127.N.21.0/24 block (testNet, 8
// per file), ports from 21000-21999. Everything is stopped at teardown.
import { Gateway } from './gateway.js';
import { testNet } from '../../fixtures/daemon.js';
import { loadSimMedia, loadTdmNative } from '../../../src/tdm/native.js';
import { PstnSim, type SimAudioWindow } from '../../../src/tdm/sim.js';

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

export const PORTS = {
  sip: 21060, ng: 21223, rtpMin: 21300, rtpMax: 21499, uas: 21510, uac: 21520, tdmRtpMin: 21600, tdmRtpMax: 21799,
  spanGw: 21041, spanSim: 21040,
} as const;

export const PLAN = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' };
/** A UC-owned number (national form as the PSTN dials it) and a PSTN number the UC side calls. */
export const UC_NATIONAL = '30555123';
export const UC_E164 = '+4930555123';
export const PSTN_E164 = '+49301234567';
export const UNALLOCATED_E164 = '+4930555999';

export interface PriSipAddresses {
  gw: string;
  uc: string;
  /** The PSTN simulator's span end. */
  sim: string;
}

/**
 * File `n` (0-3) of the PRI⇄SIP tests gets <testNet(21)>.<8n+1..8n+3>: each checkout has its
 * own network (test/fixtures/daemon.ts), so two checkouts can run these files at the same time.
 */
export function priSipSlot(n: number): PriSipAddresses {
  const net = testNet(21);
  const a = (k: number): string => `${net}.${8 * n + k}`;
  return { gw: a(1), uc: a(2), sim: a(3) };
}

export interface PriSipRig {
  gw: Gateway;
  sim: PstnSim;
  addr: PriSipAddresses;
  /** Where sipp sends INVITEs. */
  sipTarget: string;
}

export async function priSipRig(t: T, n: number, o: { ringTimeoutMs?: number } = {}): Promise<PriSipRig> {
  const addr = priSipSlot(n);
  const span = { type: 'e1', switchtype: 'euroisdn', country: 'de', trunk: 'pstn' } as const;
  const sim = new PstnSim({
    native: loadTdmNative, media: loadSimMedia, reportAudio: false, incoming: { action: 'answer' },
    span: { ...span, id: 'pstn', side: 'network', localAddress: addr.sim, localPort: PORTS.spanSim, remoteAddress: addr.gw, remotePort: PORTS.spanGw },
  });
  t.teardown(async () => { await sim.close().catch(() => undefined); });
  // The far end first: the gateway's health is ok only once its span is up.
  await sim.start();
  const gw = await Gateway.start(t, {
    addr: { gw: addr.gw, pbx: addr.sim, uc: addr.uc, uc2: addr.uc, stranger: addr.sim },
    // G.711 µ-law toward the UC side (the span is A-law: the B-channel's endpoint takes either).
    trunks: { uc: { addresses: [`${addr.uc}:${PORTS.uas}`], role: 'uc', codecs: ['PCMU', 'telephone-event'] } },
    routes: [
      { id: 'unallocated', called: '+49305559*', targets: [], reject: 1 },
      { id: 'pstn-to-uc', fromTrunk: ['pstn'], called: '+4930555*', targets: ['uc'] },
      { id: 'uc-to-pstn', fromTrunk: ['uc'], called: '+49*', targets: ['pstn'] },
    ],
    configure: (cfg) => {
      const media = cfg.media as { rtpengine: Record<string, unknown> };
      Object.assign(media.rtpengine, { ngPort: PORTS.ng, portMin: PORTS.rtpMin, portMax: PORTS.rtpMax });
      (cfg.sip as { edge: { listen: unknown } }).edge.listen = [{ proto: 'udp', host: addr.gw, port: PORTS.sip }];
      if (o.ringTimeoutMs !== undefined) (cfg.sip as { ringTimeoutMs?: number }).ringTimeoutMs = o.ringTimeoutMs;
      const routing = cfg.routing as { plan?: unknown; trunks: Record<string, unknown> };
      routing.plan = PLAN;
      routing.trunks.pstn = { role: 'pstn', numberFormat: 'national' };
      cfg.tdm = {
        spans: [{
          ...span, id: 'pstn', side: 'user', localAddress: addr.gw, localPort: PORTS.spanGw, remoteAddress: addr.sim, remotePort: PORTS.spanSim,
        }],
        rtp: { address: addr.gw, portMin: PORTS.tdmRtpMin, portMax: PORTS.tdmRtpMax },
      };
    },
  });
  await sim.waitUp(60_000);
  await gw.waitHealth((h) => h.subsystems.tdm?.status === 'ok', 'the gateway\'s span up');
  return { gw, sim, addr, sipTarget: `${addr.gw}:${PORTS.sip}` };
}

/** The sim's monitor windows of `leg` while `during` runs (then `after` more windows). */
export async function simWindows(sim: PstnSim, leg: string, during: () => Promise<void>, after = 2): Promise<SimAudioWindow[]> {
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
    await during();
    tail = 0;
    const timer = setTimeout(done, 30_000);
    await finished;
    clearTimeout(timer);
  } finally {
    sim.off('audio', on);
  }
  return got;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}
