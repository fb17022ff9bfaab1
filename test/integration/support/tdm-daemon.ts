// The real daemon (`spangate run`) as a PRI gateway, with a PSTN/PBX simulator (real libpri,
// B-channel audio) at the far end of each of its spans, for the tdm-ops-* scenarios. Spans are
// E1 EuroISDN (A-law, German tones); the simulator of span `id` listens on simAddr:port, the
// daemon's side on gwAddr:port+1. The daemon's log lines, `show spans`, /metrics and the CDR
// store are read the way an operator would.
import { writeFileSync } from 'node:fs';
import { DaemonProcess, daemonFiles, httpGet, runCli, type DaemonFiles } from '../../fixtures/daemon.js';
import { loadSimMedia, loadTdmNative } from '../../../src/tdm/native.js';
import { PstnSim, type IncomingPolicy, type SimAudioWindow, type SimDigit, type SimReport } from '../../../src/tdm/sim.js';
import type { SpanView } from '../../../src/tdm/span-manager.js';
import type { CdrRow } from '../../../src/cdr/store.js';

export const WAIT = 30_000;

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

export interface GwSpan {
  id: string;
  trunk: string;
  /** The daemon's side of the span (the simulator takes the other). */
  gw: 'user' | 'network';
  port: number;
  incoming?: IncomingPolicy;
}

export const PLAN = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' };

export interface Gateway {
  d: DaemonProcess;
  f: DaemonFiles;
  sims: Record<string, PstnSim>;
  metricsUrl: string;
  spans(): Promise<SpanView[]>;
  metrics(): Promise<string>;
  cdr(): Promise<CdrRow[]>;
  /** A fresh simulator in place of span `id`'s (after pullCable: the line comes back). */
  respawn(id: string): Promise<PstnSim>;
}

/** Starts the simulators and the daemon; resolves once every D-channel is up on both ends. */
export async function startGateway(t: T, o: {
  simAddr: string; gwAddr: string; spans: GwSpan[]; routing: Record<string, unknown>; spanExtra?: Record<string, unknown>;
}): Promise<Gateway> {
  const sims: Record<string, PstnSim> = {};
  t.teardown(async () => {
    for (const s of Object.values(sims)) await s.close().catch(() => undefined);
  });
  const base = { type: 'e1', switchtype: 'euroisdn', country: 'de' } as const;
  const extra: PstnSim[] = [];
  t.teardown(async () => {
    for (const s of extra) await s.close().catch(() => undefined);
  });
  const makeSim = (s: GwSpan): PstnSim => new PstnSim({
    native: loadTdmNative, media: loadSimMedia, incoming: s.incoming,
    span: {
      ...base, id: s.id, trunk: s.trunk, side: s.gw === 'user' ? 'network' : 'user',
      localAddress: o.simAddr, localPort: s.port, remoteAddress: o.gwAddr, remotePort: s.port + 1,
    },
  });
  for (const s of o.spans) {
    sims[s.id] = makeSim(s);
    await sims[s.id]!.start();
  }
  const f = daemonFiles(t);
  const spans = o.spans.map((s) => ({
    ...base, ...o.spanExtra, id: s.id, trunk: s.trunk, side: s.gw,
    localAddress: o.gwAddr, localPort: s.port + 1, remoteAddress: o.simAddr, remotePort: s.port,
  }));
  writeFileSync(f.config, `${JSON.stringify({ ...f.raw, tdm: { spans }, routing: { plan: PLAN, ...o.routing } }, null, 2)}\n`);
  const d = DaemonProcess.start(t, ['run', '--config', f.config]);
  t.teardown(async () => {
    d.kill('SIGTERM');
    await d.exited;
  });
  const ready = await d.waitForEvent('ready');
  await Promise.all([
    ...Object.values(sims).map((s) => s.waitUp(WAIT)),
    ...o.spans.map((s) => d.waitFor((l) => l.span === s.id && l.msg === 'D-channel up', `D-channel up on ${s.id}`)),
  ]);
  const metricsUrl = String(ready.metricsUrl);
  const gw: Gateway = {
    d, f, sims, metricsUrl,
    spans: async () => {
      const r = await runCli(['show', 'spans', '--config', f.config, '--json']);
      if (r.code !== 0) throw new Error(`show spans: ${r.stderr}`);
      return JSON.parse(r.stdout) as SpanView[];
    },
    metrics: async () => (await httpGet(`${metricsUrl}/metrics`)).body,
    cdr: async () => {
      const r = await runCli(['cdr', '--config', f.config, '--json', '--limit', '100']);
      if (r.code !== 0) throw new Error(`cdr: ${r.stderr}`);
      return JSON.parse(r.stdout) as CdrRow[];
    },
    respawn: async (id) => {
      const spec = o.spans.find((x) => x.id === id);
      if (!spec) throw new Error(`no span ${id}`);
      const sim = makeSim(spec);
      extra.push(sim);
      await sim.start();
      sims[id] = sim;
      return sim;
    },
  };
  // Every span up in the daemon's own view too (its alarms clear once packets flow).
  await until(async () => (await gw.spans()).every((s) => s.dchannel === 'up' && s.alarms.length === 0), 'all spans up in show spans');
  return gw;
}

/** Polls `probe` (an admin or CLI read; no event exists for it) until true. */
export async function until(probe: () => Promise<boolean> | boolean, what: string | (() => Promise<string>), timeoutMs = WAIT): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : await what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Connected { caller: string; callee: string }

/**
 * `from` calls `called` (national number); the simulator the call reaches answers (its policy).
 * Resolves with both simulators' leg ids once the caller saw the answer.
 */
export async function connect(from: PstnSim, to: PstnSim, called: string, calling = '301234567'): Promise<Connected> {
  const inc = to.waitFor((r) => r.event === 'incoming', WAIT);
  const answered = from.waitFor((r) => r.event === 'answer', WAIT);
  const caller = await from.call({ calling, called, callingTon: 'national', calledTon: 'national' });
  const callee = String(((await inc) as SimReport).leg);
  await answered;
  return { caller, callee };
}

/** Resolves when `digits` sent in-band on `from`'s leg arrive on `to`'s leg as detected digits. */
export async function dtmfThrough(from: PstnSim, fromLeg: string, to: PstnSim, toLeg: string, digits: string): Promise<string> {
  let got = '';
  const heard = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { to.off('dtmf', on); reject(new Error(`only "${got}" of "${digits}" arrived`)); }, WAIT);
    const on = (d: SimDigit): void => {
      if (d.leg !== toLeg) return;
      got += d.digit;
      if (got.length < digits.length) return;
      clearTimeout(timer);
      to.off('dtmf', on);
      resolve();
    };
    to.on('dtmf', on);
  });
  await from.sendDtmf(fromLeg, digits);
  await heard;
  return got;
}

/** Monitor windows of `leg` on `sim` until `enough` says stop (or the wait runs out). */
export function windows(sim: PstnSim, leg: string, enough: (ws: SimAudioWindow[]) => boolean): Promise<SimAudioWindow[]> {
  const got: SimAudioWindow[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sim.off('audio', on); reject(new Error(`audio on ${leg}: only ${got.length} windows`)); }, WAIT);
    const on = (w: SimAudioWindow): void => {
      if (w.leg !== leg) return;
      got.push(w);
      if (!enough(got)) return;
      clearTimeout(timer);
      sim.off('audio', on);
      resolve(got);
    };
    sim.on('audio', on);
  });
}

/** Runs of tone-on / tone-off windows (ms each), from 128 ms monitor windows. */
export function cadence(ws: SimAudioWindow[], freqHz: number, tolHz = 15): { on: number[]; off: number[] } {
  const on: number[] = [];
  const off: number[] = [];
  let cur: boolean | undefined;
  let len = 0;
  for (const w of ws) {
    const isOn = w.levelDbm0 > -40 && Math.abs(w.freqHz - freqHz) <= tolHz;
    if (cur === undefined || isOn === cur) len += 128;
    else {
      (cur ? on : off).push(len);
      len = 128;
    }
    cur = isOn;
  }
  return { on, off };
}
