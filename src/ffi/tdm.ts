// koffi binding of the B-channel media API (native/include/spangate/tdm.h): a TDM channel per
// call joins a timeslot to an RTP endpoint or to another channel (timeslot bridge), with the
// echo canceller, in-band DTMF, call-progress tones and gain of the native DSP. Every call is
// synchronous and non-blocking; a negative sg_err becomes a NativeError. Also decodes the
// DSP's in-band DTMF events (SG_SUBSYS_DSP) from the shared event reader.
import koffi from 'koffi';
import { NativeError } from '../errors.js';
import type { NativeEvent } from './events.js';
import { checkStructSizes, type NativeLibrary } from './native.js';
import { EngineConfig } from './types.js';

export const SG_SUBSYS_DSP = 5;
const SG_ESTATE = -6;

export const TDM_F_NO_EC = 0x01;
export const TDM_F_NO_DTMF_DETECT = 0x02;

export const TONES = { dial: 0, ringback: 1, busy: 2, congestion: 3 } as const;
export type ToneKind = keyof typeof TONES;

const EcOpts = koffi.struct('sg_ec_opts_t', {
  tail_ms: 'uint16_t', nlp: 'uint8_t', suppress_db: 'int8_t', suppress_active_db: 'int8_t',
  tone_disable: 'uint8_t', reserved: koffi.array('uint8_t', 2),
});
const DtmfOpts = koffi.struct('sg_dtmf_opts_t', {
  threshold_dbm0: 'int8_t', twist_db: 'uint8_t', reverse_twist_db: 'uint8_t', filter_dialtone: 'uint8_t',
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

const STAT_COUNTERS = [
  'frames', 'line_underruns', 'line_overruns', 'line_slips', 'rtp_sent', 'rtp_send_errors', 'net_frames',
  'net_underruns', 'dtmf_detected', 'dtmf_relayed', 'dtmf_regenerated', 'tone_frames', 'ec_sin_energy', 'ec_sout_energy',
] as const;
export type TdmCounter = (typeof STAT_COUNTERS)[number];

export const TdmStats = koffi.struct('sg_tdm_stats_t', {
  struct_size: 'uint32_t',
  flags: 'uint32_t',
  ...Object.fromEntries(STAT_COUNTERS.map((c) => [c, 'uint64_t'])),
  ec_tone_disabled: 'uint32_t',
  bridged: 'uint32_t',
  rtp: 'uint32_t',
  tone: 'int32_t',
});

const DtmfPayload = koffi.struct('sg_dsp_dtmf_payload_t', {
  digit: 'char', level_dbm0: 'int8_t', duration_ms: 'uint16_t', sample: 'uint32_t',
});

export const TDM_STRUCTS: ReadonlyArray<readonly [string, koffi.IKoffiCType, number]> = [
  ['sg_tdm_config_t', TdmConfig, 48],
  ['sg_tdm_stats_t', TdmStats, 136],
];

export interface TdmChannelOptions {
  span: number;
  timeslot: number;
  /** RTP endpoint to join at once (0/absent: none yet). */
  rtp?: number;
  shard?: number;
  /** Echo canceller tail in ms; 0 = no canceller (it is on by default, 64 ms tail). */
  echoTailMs?: number;
  dtmfDetect?: boolean;
  rxGainDb?: number;
  txGainDb?: number;
  /** Tone plan: 'us', 'uk', 'de', 'eu'; empty = by line type. */
  country?: string;
}

export type TdmStatsValues = Record<TdmCounter, number> & { bridged: number; rtp: number; tone: number; ecToneDisabled: boolean };

export interface DtmfDetected {
  kind: 'dsp.dtmf-begin' | 'dsp.dtmf-end';
  channel: number;
  digit: string;
  levelDbm0: number;
  durationMs: number;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

/** Decodes an in-band DTMF record (SG_SUBSYS_DSP) from the reader; undefined for anything else. */
export function decodeDspEvent(e: NativeEvent): DtmfDetected | undefined {
  if (e.kind !== 'raw' || e.subsys !== SG_SUBSYS_DSP || (e.type !== 1 && e.type !== 2)) return undefined;
  const d = koffi.decode(e.payload, DtmfPayload) as Record<string, unknown>;
  const c = num(d.digit);
  return {
    kind: e.type === 1 ? 'dsp.dtmf-begin' : 'dsp.dtmf-end', channel: e.handle,
    digit: String.fromCharCode(c), levelDbm0: num(d.level_dbm0), durationMs: num(d.duration_ms),
  };
}

/** Tone plans the native DSP carries (spangate's `country` maps onto them). */
export function tonePlan(country: string, line: 'e1' | 't1'): string {
  const c = country.toLowerCase();
  if (c === 'us' || c === 'ca') return 'us';
  if (c === 'gb' || c === 'uk') return 'uk';
  if (c === 'de') return 'de';
  return line === 't1' ? 'us' : 'eu';
}

/** The B-channel media functions of one loaded library. */
export class TdmBinding {
  private readonly f: Record<string, koffi.KoffiFunction>;

  constructor(private readonly native: NativeLibrary) {
    checkStructSizes(native, TDM_STRUCTS);
    const l = native.lib;
    this.f = {
      engineStart: l.func('int sg_engine_start(const sg_engine_config_t *cfg)'),
      engineRunning: l.func('int sg_engine_running(void)'),
      create: l.func('int sg_tdm_create(const sg_tdm_config_t *cfg)'),
      destroy: l.func('int sg_tdm_destroy(uint32_t handle)'),
      setRtp: l.func('int sg_tdm_set_rtp(uint32_t handle, uint32_t rtp)'),
      bridge: l.func('int sg_tdm_bridge(uint32_t a, uint32_t b)'),
      unbridge: l.func('int sg_tdm_unbridge(uint32_t handle)'),
      tone: l.func('int sg_tdm_tone(uint32_t handle, int kind)'),
      sendDtmf: l.func('int sg_tdm_send_dtmf(uint32_t handle, const char *digits, int on_ms, int off_ms)'),
      setGain: l.func('int sg_tdm_set_gain(uint32_t handle, int rx, int tx)'),
      stats: l.func('int sg_tdm_stats(uint32_t handle, _Out_ sg_tdm_stats_t *out, uint32_t size)'),
    };
  }

  private run(name: string, what: string, ...args: unknown[]): number {
    return this.native.check(this.f[name]!(...args) as number, what);
  }

  /** Starts the media threads unless something (a native relay, a test) already did. */
  ensureEngine(): void {
    if ((this.f.engineRunning!() as number) > 0) return;
    const rc = this.f.engineStart!({
      struct_size: koffi.sizeof(EngineConfig), media_threads: 0, max_endpoints: 0, max_relays: 0, tick_ms: 0,
      port_min: 0, port_max: 0, queue_depth: 0, rt_priority: 0, reserved: 0,
    }) as number;
    if (rc === SG_ESTATE) return; // started meanwhile
    this.native.check(rc, 'sg_engine_start');
  }

  create(o: TdmChannelOptions): number {
    const gain = (db: number | undefined, what: string): number => {
      const v = Math.round((db ?? 0) * 10);
      if (v < -480 || v > 240) throw new NativeError(`sg_tdm_create: ${what} ${db} dB is outside -48..24`);
      return v;
    };
    const tail = o.echoTailMs ?? 64;
    if (Buffer.byteLength(o.country ?? '') > 3) throw new NativeError(`sg_tdm_create: country ${JSON.stringify(o.country)} is too long`);
    const flags = (tail === 0 ? TDM_F_NO_EC : 0) | (o.dtmfDetect === false ? TDM_F_NO_DTMF_DETECT : 0);
    return this.run('create', `sg_tdm_create(span ${o.span}, ts ${o.timeslot})`, {
      struct_size: koffi.sizeof(TdmConfig), span: o.span, timeslot: o.timeslot, rtp: o.rtp ?? 0, shard: o.shard ?? 0,
      flags, rx_gain_db10: gain(o.rxGainDb, 'rx gain'), tx_gain_db10: gain(o.txGainDb, 'tx gain'), country: o.country ?? '',
      ec: { tail_ms: tail === 0 ? 0 : Math.min(256, Math.max(16, tail)), nlp: 0, suppress_db: 0, suppress_active_db: 0, tone_disable: 0, reserved: [0, 0] },
      dtmf: { threshold_dbm0: 0, twist_db: 0, reverse_twist_db: 0, filter_dialtone: 0 },
      dtmf_tx_level_dbm0: 0, dtmf_volume: 0, reserved: [0, 0],
    });
  }

  destroy(h: number): void { this.run('destroy', `sg_tdm_destroy(${h})`, h); }
  setRtp(h: number, rtp: number): void { this.run('setRtp', `sg_tdm_set_rtp(${h}, ${rtp})`, h, rtp); }
  bridge(a: number, b: number): void { this.run('bridge', `sg_tdm_bridge(${a}, ${b})`, a, b); }
  unbridge(h: number): void { this.run('unbridge', `sg_tdm_unbridge(${h})`, h); }
  /** Plays a call-progress tone toward the line; undefined stops it. */
  tone(h: number, kind: ToneKind | undefined): void { this.run('tone', `sg_tdm_tone(${h})`, h, kind === undefined ? -1 : TONES[kind]); }

  sendDtmf(h: number, digits: string, onMs = 0, offMs = 0): void {
    if (!/^[0-9*#A-D]{1,32}$/.test(digits)) throw new NativeError(`sg_tdm_send_dtmf: ${JSON.stringify(digits)} is not 1-32 DTMF digits`);
    this.run('sendDtmf', `sg_tdm_send_dtmf(${h})`, h, digits, onMs, offMs);
  }

  setGain(h: number, rxDb: number, txDb: number): void {
    this.run('setGain', `sg_tdm_set_gain(${h})`, h, Math.round(rxDb * 10), Math.round(txDb * 10));
  }

  stats(h: number): TdmStatsValues {
    const o: Record<string, unknown> = {};
    this.run('stats', `sg_tdm_stats(${h})`, h, o, koffi.sizeof(TdmStats));
    const v = Object.fromEntries(STAT_COUNTERS.map((c) => [c, num(o[c])])) as Record<TdmCounter, number>;
    return { ...v, bridged: num(o.bridged), rtp: num(o.rtp), tone: num(o.tone), ecToneDisabled: num(o.ec_tone_disabled) !== 0 };
  }
}
