// koffi binding of the B-channel media API (native/include/spangate/tdm.h, dsp.h): TDM channels
// on span timeslots, clips played toward the line, in-band DTMF, call-progress tones, the
// line monitor, counters, and the decoder of SG_SUBSYS_DSP event records (digits detected
// in-band, monitor windows, clips finished). Calls are synchronous and non-blocking; a
// negative sg_err becomes a NativeError. The engine (engine.ts) must be running.
import koffi from 'koffi';
import { NativeError } from '../errors.js';
import type { NativeEvent } from './events.js';
import { checkStructSizes, type NativeLibrary } from './native.js';

export const SG_SUBSYS_DSP = 5;

export const TDM_F_NO_EC = 0x01;
export const TDM_F_NO_DTMF_DETECT = 0x02;
export const TDM_F_DTMF_INBAND = 0x04;
export const TDM_F_NO_DTMF_REGEN = 0x08;
export const TDM_F_MONITOR = 0x10;

/** sg_tone_kind */
export const TONES = { dial: 0, ringback: 1, busy: 2, congestion: 3 } as const;
export type ToneKind = keyof typeof TONES;

export const EcOpts = koffi.struct('sg_ec_opts_t', {
  tail_ms: 'uint16_t',
  nlp: 'uint8_t',
  suppress_db: 'int8_t',
  suppress_active_db: 'int8_t',
  tone_disable: 'uint8_t',
  comfort_noise: 'uint8_t',
  reserved: 'uint8_t',
});

export const DtmfOpts = koffi.struct('sg_dtmf_opts_t', {
  threshold_dbm0: 'int8_t',
  twist_db: 'uint8_t',
  reverse_twist_db: 'uint8_t',
  filter_dialtone: 'uint8_t',
});

export const TdmConfig = koffi.struct('sg_tdm_config_t', {
  struct_size: 'uint32_t',
  span: 'int32_t',
  timeslot: 'int32_t',
  rtp: 'uint32_t',
  shard: 'uint32_t',
  flags: 'uint32_t',
  rx_gain_db10: 'int16_t',
  tx_gain_db10: 'int16_t',
  country: koffi.array('char', 4, 'String'),
  ec: EcOpts,
  dtmf: DtmfOpts,
  dtmf_tx_level_dbm0: 'int8_t',
  dtmf_volume: 'uint8_t',
  reserved: koffi.array('uint8_t', 2),
});

const TDM_STAT_NAMES = [
  'frames', 'line_underruns', 'line_overruns', 'line_slips', 'rtp_sent', 'rtp_send_errors', 'net_frames',
  'net_underruns', 'dtmf_detected', 'dtmf_relayed', 'dtmf_regenerated', 'tone_frames', 'ec_sin_energy',
  'ec_sout_energy',
] as const;
export type TdmStatName = (typeof TDM_STAT_NAMES)[number];

export const TdmStats = koffi.struct('sg_tdm_stats_t', {
  struct_size: 'uint32_t',
  flags: 'uint32_t',
  ...(Object.fromEntries(TDM_STAT_NAMES.map((n) => [n, 'uint64_t'])) as Record<TdmStatName, string>),
  ec_tone_disabled: 'uint32_t',
  bridged: 'uint32_t',
  rtp: 'uint32_t',
  tone: 'int32_t',
});

// Header sizes (x86-64, checked with sizeof in C) for structs sg_struct_size() does not list.
const TDM_STRUCTS = [
  ['sg_tdm_config_t', TdmConfig, 48],
  ['sg_tdm_stats_t', TdmStats, 136],
] as const;

export interface TdmChannelOptions {
  span: number;
  /** B-channel timeslot (E1 1-31 except 16, T1 1-23): the PRI channel number. */
  timeslot: number;
  /** RTP endpoint to join at once (0/absent: none). */
  rtp?: number;
  shard?: number;
  /** Echo canceller (default on); tail in ms (default 64). */
  echoCanceller?: boolean;
  ecTailMs?: number;
  dtmfDetect?: boolean;
  /** Analyse the line signal: 'audio' events every 128 ms (test equipment, diagnostics). */
  monitor?: boolean;
  rxGainDb?: number;
  txGainDb?: number;
  /** Tone plan: us, uk, de, eu ("" = us on T1, eu on E1). */
  country?: string;
}

export type TdmStatsValues = Record<TdmStatName, number> & { tone: number; rtp: number; bridged: number };

export type DspEvent =
  | { kind: 'dtmf-begin'; channel: number; digit: string; levelDbm0: number; sample: number }
  | { kind: 'dtmf-end'; channel: number; digit: string; durationMs: number; sample: number }
  | {
      kind: 'audio';
      channel: number;
      sample: number;
      window: number;
      /** Total level of the window, dBm0 (-99 = digital silence). */
      levelDbm0: number;
      /** Dominant frequency, Hz (0 when silent). */
      freqHz: number;
      /** Level of the dominant component, dBm0. */
      peakDbm0: number;
      /** Share of the window's energy in the dominant component, 0..1 (a pure tone ~1). */
      tonality: number;
    }
  | { kind: 'play-end'; channel: number; id: number; played: number; stopped: boolean };

/** Decodes an SG_SUBSYS_DSP record from the shared event reader ('raw' kind); undefined for others. */
export function decodeDspEvent(e: NativeEvent): DspEvent | undefined {
  if (e.kind !== 'raw' || e.subsys !== SG_SUBSYS_DSP) return undefined;
  const p = e.payload;
  switch (e.type) {
    case 1:
      return { kind: 'dtmf-begin', channel: e.handle, digit: String.fromCharCode(p[0]!), levelDbm0: p.readInt8(1), sample: p.readUInt32LE(4) };
    case 2:
      return { kind: 'dtmf-end', channel: e.handle, digit: String.fromCharCode(p[0]!), durationMs: p.readUInt16LE(2), sample: p.readUInt32LE(4) };
    case 3:
      return {
        kind: 'audio', channel: e.handle, sample: p.readUInt32LE(0), window: p.readUInt16LE(4),
        levelDbm0: p.readInt16LE(6) / 100, freqHz: p.readUInt32LE(8) / 1000, peakDbm0: p.readInt16LE(12) / 100,
        tonality: p.readUInt16LE(14) / 1000,
      };
    case 4:
      return { kind: 'play-end', channel: e.handle, id: p.readUInt32LE(0), played: p.readUInt32LE(4), stopped: p[8] === 1 };
    default:
      return undefined;
  }
}

const n = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const DTMF_RE = /^[0-9*#A-D]{1,32}$/;
/** Longest clip sg_tdm_play takes: 2 minutes at 8 kHz. */
export const CLIP_MAX_SAMPLES = 8000 * 120;

export class TdmBinding {
  private readonly f: Record<string, koffi.KoffiFunction>;

  constructor(private readonly native: NativeLibrary) {
    checkStructSizes(native, TDM_STRUCTS);
    const l = native.lib;
    this.f = {
      create: l.func('int sg_tdm_create(const sg_tdm_config_t *cfg)'),
      destroy: l.func('int sg_tdm_destroy(uint32_t handle)'),
      bridge: l.func('int sg_tdm_bridge(uint32_t a, uint32_t b)'),
      unbridge: l.func('int sg_tdm_unbridge(uint32_t handle)'),
      setRtp: l.func('int sg_tdm_set_rtp(uint32_t handle, uint32_t rtp)'),
      play: l.func('int sg_tdm_play(uint32_t handle, const int16_t *pcm, uint32_t samples, uint32_t id)'),
      dtmf: l.func('int sg_tdm_send_dtmf(uint32_t handle, const char *digits, int on_ms, int off_ms)'),
      tone: l.func('int sg_tdm_tone(uint32_t handle, int kind)'),
      ec: l.func('int sg_tdm_set_ec(uint32_t handle, int mode)'),
      stats: l.func('int sg_tdm_stats(uint32_t handle, _Out_ sg_tdm_stats_t *out, uint32_t size)'),
    };
  }

  private run(name: string, what: string, ...args: unknown[]): number {
    return this.native.check(this.f[name]!(...args) as number, what);
  }

  /** Opens a channel on a timeslot; returns its handle. */
  create(o: TdmChannelOptions): number {
    const country = o.country ?? '';
    if (!/^[a-z]{0,3}$/.test(country)) throw new NativeError(`sg_tdm_create: bad country ${JSON.stringify(country)}`);
    const flags =
      (o.echoCanceller === false ? TDM_F_NO_EC : 0) | (o.dtmfDetect === false ? TDM_F_NO_DTMF_DETECT : 0) | (o.monitor ? TDM_F_MONITOR : 0);
    return this.run('create', `sg_tdm_create(span ${o.span} ts ${o.timeslot})`, {
      struct_size: koffi.sizeof(TdmConfig), span: o.span, timeslot: o.timeslot, rtp: o.rtp ?? 0, shard: o.shard ?? 0, flags,
      rx_gain_db10: Math.round((o.rxGainDb ?? 0) * 10), tx_gain_db10: Math.round((o.txGainDb ?? 0) * 10), country,
      ec: { tail_ms: o.ecTailMs ?? 0, nlp: 0, suppress_db: 0, suppress_active_db: 0, tone_disable: 0, comfort_noise: 0, reserved: 0 },
      dtmf: { threshold_dbm0: 0, twist_db: 0, reverse_twist_db: 0, filter_dialtone: 0 },
      dtmf_tx_level_dbm0: 0, dtmf_volume: 0, reserved: [0, 0],
    });
  }

  destroy(handle: number): void {
    this.run('destroy', 'sg_tdm_destroy', handle);
  }

  /** Bridges two channels' timeslots (PRI⇄PRI pass-through, no RTP); both on one media thread. */
  bridge(a: number, b: number): void {
    this.run('bridge', `sg_tdm_bridge(${a}, ${b})`, a, b);
  }

  /** Breaks a channel's bridge (both sides). */
  unbridge(handle: number): void {
    this.run('unbridge', 'sg_tdm_unbridge', handle);
  }

  /**
   * Joins the channel to RTP endpoint `rtp` (PRI⇄SIP: the line is encoded to it, its decoded
   * stream goes to the line); 0 leaves the current one. The endpoint needs a jitter buffer, a
   * codec and the channel's media thread (shard).
   */
  setRtp(handle: number, rtp: number): void {
    this.run('setRtp', `sg_tdm_set_rtp(${handle}, ${rtp})`, handle, rtp);
  }

  /** Plays 8 kHz linear PCM toward the line (copied); 'play-end' with `id` follows. */
  play(handle: number, pcm: Int16Array, id: number): void {
    if (pcm.length === 0 || pcm.length > CLIP_MAX_SAMPLES) throw new NativeError(`sg_tdm_play: ${pcm.length} samples (1..${CLIP_MAX_SAMPLES})`);
    this.run('play', 'sg_tdm_play', handle, pcm, pcm.length, id >>> 0);
  }

  /** Stops the clip playing (its 'play-end' says stopped). */
  stopPlay(handle: number): void {
    this.run('play', 'sg_tdm_play', handle, null, 0, 0);
  }

  /** Queues in-band DTMF toward the line (0-9 * # A-D, up to 32; on/off 20..1000 ms). */
  sendDtmf(handle: number, digits: string, onMs = 80, offMs = 80): void {
    if (!DTMF_RE.test(digits)) throw new NativeError(`sg_tdm_send_dtmf: digits must be 1-32 of 0-9*#A-D, not ${JSON.stringify(digits)}`);
    this.run('dtmf', 'sg_tdm_send_dtmf', handle, digits, onMs, offMs);
  }

  /** A call-progress tone of the channel's country toward the line; null stops it. */
  tone(handle: number, kind: ToneKind | null): void {
    this.run('tone', 'sg_tdm_tone', handle, kind === null ? -1 : TONES[kind]);
  }

  /** Echo canceller: 'bypass' (data calls), 'on', 'reset' (forget the echo path). */
  setEc(handle: number, mode: 'bypass' | 'on' | 'reset'): void {
    this.run('ec', 'sg_tdm_set_ec', handle, mode === 'bypass' ? 0 : mode === 'on' ? 1 : 2);
  }

  stats(handle: number): TdmStatsValues {
    const o: Record<string, unknown> = {};
    this.run('stats', 'sg_tdm_stats', handle, o, koffi.sizeof(TdmStats));
    const r = {} as TdmStatsValues;
    for (const k of TDM_STAT_NAMES) r[k] = n(o[k]);
    r.tone = n(o.tone);
    r.rtp = n(o.rtp);
    r.bridged = n(o.bridged);
    return r;
  }
}

/** The native tone plan for a span's `country` (ISO 3166; the engine has us, uk, de, eu). */
export function tonePlan(country: string, line: 'e1' | 't1'): string {
  const c = country.toLowerCase();
  if (c === 'us' || c === 'ca') return 'us';
  if (c === 'gb' || c === 'uk') return 'uk';
  if (c === 'de') return 'de';
  return line === 't1' ? 'us' : 'eu';
}
