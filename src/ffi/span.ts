// koffi binding of the span API (native/include/spangate/span.h): vspan E1/T1 lines and their
// counters, and the decoder of SG_SUBSYS_SPAN event records. Every call is synchronous and
// non-blocking; a negative sg_err becomes a NativeError.
import koffi from 'koffi';
import { NativeError } from '../errors.js';
import { checkStructSizes, type NativeLibrary } from './native.js';
import { SG_ADDR_MAX } from './types.js';

export const SG_SUBSYS_SPAN = 3;
export const SPAN_ALARM_LOS = 0x1;
export const SPAN_ALARM_AIS = 0x2;
export const SPAN_ALARM_RAI = 0x4;

export const SpanConfig = koffi.struct('sg_span_config_t', {
  struct_size: 'uint32_t',
  kind: 'uint32_t',
  role: 'uint32_t',
  frames_per_packet: 'uint32_t',
  jitter_packets: 'uint32_t',
  los_ms: 'uint32_t',
  clear_ms: 'uint32_t',
  local_port: 'uint16_t',
  remote_port: 'uint16_t',
  local_addr: koffi.array('char', SG_ADDR_MAX, 'String'),
  remote_addr: koffi.array('char', SG_ADDR_MAX, 'String'),
});

/** Counter names of sg_span_stats_t in struct order (all uint64). */
export const SPAN_COUNTERS = [
  'tx_packets', 'rx_packets', 'rx_lost', 'rx_reordered', 'rx_late', 'rx_duplicate', 'rx_malformed',
  'rx_foreign', 'slips', 'b_underruns', 'b_overruns', 'hdlc_rx_frames', 'hdlc_tx_frames',
  'hdlc_crc_errors', 'hdlc_aborts', 'hdlc_length_errors', 'hdlc_tx_dropped', 'alarm_count',
] as const;
export type SpanCounter = (typeof SPAN_COUNTERS)[number];

export const SpanStats = koffi.struct('sg_span_stats_t', {
  struct_size: 'uint32_t',
  alarms: 'uint32_t',
  ...Object.fromEntries(SPAN_COUNTERS.map((c) => [c, 'uint64_t'])),
  jitter_depth: 'uint32_t',
  local_port: 'uint16_t',
  reserved: 'uint16_t',
});

export const SpanEvAlarm = koffi.struct('sg_span_ev_alarm_t', {
  alarms: 'uint32_t',
  previous: 'uint32_t',
  rx_lost: 'uint64_t',
  slips: 'uint64_t',
});

/** Sizes from the C headers (x86-64); checked with the library's sg_struct_size() (checkStructSizes). */
export const SPAN_STRUCTS: ReadonlyArray<readonly [string, koffi.IKoffiCType, number]> = [
  ['sg_span_config_t', SpanConfig, 128],
  ['sg_span_stats_t', SpanStats, 160],
  ['sg_span_ev_alarm_t', SpanEvAlarm, 24],
];

export type SpanKind = 'e1' | 't1';
/** sg_span_inject kinds. */
export const SPAN_INJECT_KINDS = { raw: 1, frame: 2, mangle: 3 } as const;
export type SpanInjectKind = keyof typeof SPAN_INJECT_KINDS;
export type SpanRole = 'network' | 'user';

export interface SpanOpenOptions {
  kind: SpanKind;
  role: SpanRole;
  localAddr: string;
  /** 0 = ephemeral. */
  localPort: number;
  /** Empty with remotePort 0: learn the peer from its first packet. */
  remoteAddr: string;
  remotePort: number;
  framesPerPacket?: number;
  jitterPackets?: number;
  losMs?: number;
  clearMs?: number;
}

export type SpanStatsValues = Record<SpanCounter, number> & {
  alarms: number;
  jitterDepth: number;
  localPort: number;
};

export type SpanEvent =
  | { kind: 'span.alarm'; span: number; alarms: number; previous: number; rxLost: number; slips: number }
  | { kind: 'span.closed'; span: number };

/** Names of the alarm bits set in `alarms` ('los', 'ais', 'rai'). */
export function alarmNames(alarms: number): string[] {
  const out: string[] = [];
  if (alarms & SPAN_ALARM_LOS) out.push('los');
  if (alarms & SPAN_ALARM_AIS) out.push('ais');
  if (alarms & SPAN_ALARM_RAI) out.push('rai');
  return out;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

/** Decodes an SG_SUBSYS_SPAN record's type, handle and 48-byte payload; undefined for an unknown type. */
export function decodeSpanEvent(type: number, handle: number, payload: Buffer): SpanEvent | undefined {
  if (type === 1) {
    const d = koffi.decode(payload, SpanEvAlarm) as Record<string, unknown>;
    return {
      kind: 'span.alarm', span: handle, alarms: num(d.alarms), previous: num(d.previous),
      rxLost: num(d.rx_lost), slips: num(d.slips),
    };
  }
  if (type === 2) return { kind: 'span.closed', span: handle };
  return undefined;
}

/** The span functions of one loaded library. */
export class SpanBinding {
  private readonly fOpen;
  private readonly fClose;
  private readonly fStats;
  private readonly fTimeslots;
  private readonly fDchannel;
  private readonly fSetAis;
  private readonly fInject;
  private readonly fRead;
  private readonly fWrite;

  constructor(private readonly native: NativeLibrary) {
    checkStructSizes(native, SPAN_STRUCTS);
    const l = native.lib;
    this.fOpen = l.func('int sg_span_open(const sg_span_config_t *cfg)');
    this.fClose = l.func('int sg_span_close(int span)');
    this.fStats = l.func('int sg_span_stats(int span, _Out_ sg_span_stats_t *out, uint32_t size)');
    this.fTimeslots = l.func('int sg_span_timeslots(int span)');
    this.fDchannel = l.func('int sg_span_dchannel(int span)');
    this.fSetAis = l.func('int sg_span_set_ais(int span, int on)');
    this.fInject = l.func('int sg_span_inject(int span, int kind, const uint8_t *data, int n)');
    this.fRead = l.func('int sg_span_read(int span, int ts, _Out_ uint8_t *samples, int n)');
    this.fWrite = l.func('int sg_span_write(int span, int ts, const uint8_t *samples, int n)');
  }

  /** Opens a span; returns its handle. The span starts in LOS until packets flow. */
  open(o: SpanOpenOptions): number {
    for (const [what, v] of [['localAddr', o.localAddr], ['remoteAddr', o.remoteAddr]] as const) {
      if (Buffer.byteLength(v) >= SG_ADDR_MAX) throw new NativeError(`sg_span_open: ${what} is too long`);
    }
    const cfg = {
      struct_size: koffi.sizeof(SpanConfig),
      kind: o.kind === 'e1' ? 1 : 2,
      role: o.role === 'network' ? 1 : 2,
      frames_per_packet: o.framesPerPacket ?? 0,
      jitter_packets: o.jitterPackets ?? 0,
      los_ms: o.losMs ?? 0,
      clear_ms: o.clearMs ?? 0,
      local_port: o.localPort,
      remote_port: o.remotePort,
      local_addr: o.localAddr,
      remote_addr: o.remoteAddr,
    };
    return this.native.check(this.fOpen(cfg) as number, `sg_span_open(${o.localAddr}:${o.localPort})`);
  }

  close(span: number): void {
    this.native.check(this.fClose(span) as number, `sg_span_close(${span})`);
  }

  stats(span: number): SpanStatsValues {
    const out: Record<string, unknown> = {};
    this.native.check(this.fStats(span, out, koffi.sizeof(SpanStats)) as number, `sg_span_stats(${span})`);
    const values = Object.fromEntries(SPAN_COUNTERS.map((c) => [c, num(out[c])])) as Record<SpanCounter, number>;
    return { ...values, alarms: num(out.alarms), jitterDepth: num(out.jitter_depth), localPort: num(out.local_port) };
  }

  timeslots(span: number): number {
    return this.native.check(this.fTimeslots(span) as number, `sg_span_timeslots(${span})`);
  }

  dchannel(span: number): number {
    return this.native.check(this.fDchannel(span) as number, `sg_span_dchannel(${span})`);
  }

  setAis(span: number, on: boolean): void {
    this.native.check(this.fSetAis(span, on ? 1 : 0) as number, `sg_span_set_ais(${span})`);
  }

  /**
   * Fault injection on the D-channel toward the far end (line checks, tests): 'raw' octets in
   * place of the HDLC bitstream, one whole 'frame' (Q.921 address, control, payload) with a good
   * FCS, or 'mangle' the next I-frame the PRI layer sends ({offset, value, truncate}).
   */
  inject(span: number, kind: SpanInjectKind, data: Uint8Array): void {
    const k = SPAN_INJECT_KINDS[kind];
    if (k === undefined) throw new NativeError(`sg_span_inject: unknown kind ${String(kind)}`);
    const buf = Buffer.from(data);
    this.native.check(this.fInject(span, k, buf, buf.length) as number, `sg_span_inject(${span}, ${kind}, ${buf.length} octets)`);
  }

  /** Takes up to n received samples of a timeslot (tests and the simulator; the media thread in production). */
  read(span: number, ts: number, n: number): Buffer {
    const buf = Buffer.alloc(n);
    const got = this.native.check(this.fRead(span, ts, buf, n) as number, `sg_span_read(${span}, ${ts})`);
    return buf.subarray(0, got);
  }

  /** Queues samples for a timeslot; returns how many were accepted. */
  write(span: number, ts: number, samples: Buffer): number {
    return this.native.check(this.fWrite(span, ts, samples, samples.length) as number, `sg_span_write(${span}, ${ts})`);
  }
}
