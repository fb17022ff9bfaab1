// The native media engine through koffi: lifecycle, RTP endpoints, relays, counters.
// Every call is a short synchronous call into libspangate (it queues work for a media thread
// and returns); results that only the media thread knows arrive as events (events.ts).
import koffi from 'koffi';
import { NativeError } from '../errors.js';
import type { NativeLibrary } from './native.js';
import { COUNTER_NAMES, Counters, EngineConfig, KfwdStatus, RtpConfig, RtpStats, SteerStatus, type CounterName } from './types.js';

export interface EngineOptions {
  /** Media threads (default 1: on a 2-core box Node and the signalling thread share the other). */
  mediaThreads?: number;
  maxEndpoints?: number;
  maxRelays?: number;
  tickMs?: 10 | 20;
  /** Range for automatically chosen RTP ports (even RTP, odd RTCP). */
  portMin?: number;
  portMax?: number;
  queueDepth?: number;
  /** SCHED_FIFO priority for media threads (best effort; needs CAP_SYS_NICE). */
  rtPriority?: number;
}

export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export interface RtpEndpointConfig {
  localAddr: string;
  /** 0 or absent: the next free even port of the engine range. Create only. */
  localPort?: number;
  /** Absent until known (then `symmetric` must be set to learn it from the first packet). */
  remoteAddr?: string;
  remotePort?: number;
  remoteRtcpPort?: number;
  payloadType: number;
  /** SDP encoding name ("PCMU"); decides pass-through vs transcoding in a relay. */
  codec?: string;
  clockRate?: number;
  ptimeMs?: number;
  dtmfPt?: number;
  cnPt?: number;
  srtp?: { suite: SrtpSuite; txKey: string; rxKey: string };
  symmetric?: boolean;
  rtcpMux?: boolean;
  jitterBuffer?: boolean;
  noRtcp?: boolean;
  mediaTimeoutMs?: number;
  ssrc?: number;
  /** Media thread affinity: both endpoints of a relay need the same shard. */
  shard?: number;
  jbMinMs?: number;
  jbMaxMs?: number;
}

export interface RtpStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  rxExpected: number;
  rxLost: number;
  rxDtmfEvents: number;
  rxCn: number;
  rxSsrc: number;
  txSsrc: number;
  jitterUs: number;
  rttUs: number;
  remoteJitterUs: number;
  remoteLost: number;
  remoteFractionLost: number;
  latched: boolean;
  jbDelayMs: number;
  idleMs: number;
}

export type EngineCounters = Record<CounterName, number>;

/** In-kernel forwarding of pass-through relay directions (native/include/spangate/kfwd.h). */
export interface KernelForwardingStatus {
  /** Interfaces the tc program is attached to (0 = off). */
  interfaces: number;
  flowsActive: number;
  flowsInstalled: number;
  flowsRemoved: number;
  /** Exact kernel counts at the call. */
  packets: number;
  bytes: number;
  /** Packets of offloaded directions the kernel left to the relay (another SSRC, DTMF, ...). */
  punted: number;
  installFail: number;
  /** Why the last attach failed ('' when it did not). */
  error: string;
}
/** Receive steering, one socket per media thread (native/include/spangate/steer.h). */
export interface ReceiveSteeringStatus {
  attached: boolean;
  /** 0 = read on readiness; else the steering sockets are read every intervalUs. */
  intervalUs: number;
  /** RTP/RTCP ports steered now. */
  ports: number;
  /** Datagrams read from the steering sockets, and the recvmmsg calls that returned them. */
  packets: number;
  calls: number;
  /** Datagrams for a port whose endpoint had just left (dropped). */
  unknown: number;
  /** Endpoint ports left on their own socket (IPv6, a port clash, map full). */
  notSteered: number;
  /** Why the last attach failed ('' when it did not). */
  error: string;
}

export type RelayMode = 'passthrough' | 'transcode';

const F_SYMMETRIC = 0x01;
const F_RTCP_MUX = 0x02;
const F_JITTER_BUFFER = 0x04;
const F_NO_RTCP = 0x08;
const SUITES: Record<SrtpSuite, number> = { AES_CM_128_HMAC_SHA1_80: 1, AES_CM_128_HMAC_SHA1_32: 2 };

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

function toCConfig(c: RtpEndpointConfig): Record<string, unknown> {
  const flags =
    (c.symmetric ? F_SYMMETRIC : 0) |
    (c.rtcpMux ? F_RTCP_MUX : 0) |
    (c.jitterBuffer ? F_JITTER_BUFFER : 0) |
    (c.noRtcp ? F_NO_RTCP : 0);
  return {
    struct_size: koffi.sizeof(RtpConfig),
    flags,
    local_addr: c.localAddr,
    remote_addr: c.remoteAddr ?? '',
    local_port: c.localPort ?? 0,
    remote_port: c.remotePort ?? 0,
    remote_rtcp_port: c.remoteRtcpPort ?? 0,
    payload_type: c.payloadType,
    dtmf_pt: c.dtmfPt ?? 0,
    cn_pt: c.cnPt ?? 0,
    srtp_suite: c.srtp ? SUITES[c.srtp.suite] : 0,
    ptime_ms: c.ptimeMs ?? 0,
    clock_rate: c.clockRate ?? 0,
    codec: c.codec ?? '',
    media_timeout_ms: c.mediaTimeoutMs ?? 0,
    ssrc: c.ssrc ?? 0,
    shard: c.shard ?? 0,
    jb_min_ms: c.jbMinMs ?? 0,
    jb_max_ms: c.jbMaxMs ?? 0,
    srtp_tx_key: c.srtp?.txKey ?? '',
    srtp_rx_key: c.srtp?.rxKey ?? '',
  };
}

function checkConfig(c: RtpEndpointConfig): void {
  const strs: Array<[string, string | undefined, number]> = [
    ['localAddr', c.localAddr, 48],
    ['remoteAddr', c.remoteAddr, 48],
    ['codec', c.codec, 16],
    ['srtp.txKey', c.srtp?.txKey, 64],
    ['srtp.rxKey', c.srtp?.rxKey, 64],
  ];
  for (const [name, v, max] of strs) {
    if (v !== undefined && Buffer.byteLength(v) >= max) throw new NativeError(`rtp endpoint: ${name} too long`);
  }
}

/** The running engine. One per process (the library holds one engine). */
export class NativeEngine {
  private running = true;
  private readonly fns;

  private constructor(private readonly native: NativeLibrary) {
    const lib = native.lib;
    this.fns = {
      stop: lib.func('int sg_engine_stop(void)'),
      counters: lib.func('int sg_counters_read(_Out_ sg_counters_t *out, uint32_t size)'),
      tid: lib.func('int sg_engine_thread_tid(uint32_t index)'),
      rtpCreate: lib.func('int sg_rtp_create(const sg_rtp_config_t *cfg)'),
      rtpUpdate: lib.func('int sg_rtp_update(uint32_t handle, const sg_rtp_config_t *cfg)'),
      rtpDestroy: lib.func('int sg_rtp_destroy(uint32_t handle)'),
      rtpPort: lib.func('int sg_rtp_local_port(uint32_t handle)'),
      rtpDtmf: lib.func('int sg_rtp_send_dtmf(uint32_t handle, uint8_t event, uint16_t duration_ms, uint8_t volume)'),
      rtpStats: lib.func('int sg_rtp_stats(uint32_t handle, _Out_ sg_rtp_stats_t *out, uint32_t size)'),
      relayCreate: lib.func('int sg_relay_create(uint32_t a, uint32_t b)'),
      relayDestroy: lib.func('int sg_relay_destroy(uint32_t handle)'),
      relayMode: lib.func('int sg_relay_mode_of(uint32_t handle)'),
      kfwdAttach: lib.func('int sg_kfwd_attach(const char *ifnames)'),
      kfwdDetach: lib.func('int sg_kfwd_detach(void)'),
      kfwdStatus: lib.func('int sg_kfwd_status(_Out_ sg_kfwd_status_t *out, uint32_t size)'),
      steerAttach: lib.func('int sg_steer_attach(uint32_t interval_us)'),
      steerDetach: lib.func('int sg_steer_detach(void)'),
      steerStatus: lib.func('int sg_steer_status(_Out_ sg_steer_status_t *out, uint32_t size)'),
    };
  }

  /** Starts the media threads. Throws NativeError (e.g. already running, bad options). */
  static start(native: NativeLibrary, opts: EngineOptions = {}): NativeEngine {
    const start = native.lib.func('int sg_engine_start(const sg_engine_config_t *cfg)');
    const cfg = {
      struct_size: koffi.sizeof(EngineConfig),
      media_threads: opts.mediaThreads ?? 0,
      max_endpoints: opts.maxEndpoints ?? 0,
      max_relays: opts.maxRelays ?? 0,
      tick_ms: opts.tickMs ?? 0,
      port_min: opts.portMin ?? 0,
      port_max: opts.portMax ?? 0,
      queue_depth: opts.queueDepth ?? 0,
      rt_priority: opts.rtPriority ?? 0,
      reserved: 0,
    };
    native.check(start(cfg) as number, 'sg_engine_start');
    return new NativeEngine(native);
  }

  /**
   * The engine another part of this process started (sg_engine_start said SG_ESTATE): the
   * same endpoint and relay calls, for a user that must leave its lifetime to the starter.
   */
  static attach(native: NativeLibrary): NativeEngine {
    return new NativeEngine(native);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Stops and joins the media threads; every endpoint and relay is closed (no events). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.native.check(this.fns.stop() as number, 'sg_engine_stop');
  }

  /** Kernel thread id of media thread i (for CPU accounting in /proc). */
  threadTid(i: number): number {
    return this.native.check(this.fns.tid(i) as number, 'sg_engine_thread_tid');
  }

  /** The engine counters summed over media threads (read at scrape time). */
  counters(): EngineCounters {
    const out: Record<string, unknown> = {};
    this.native.check(this.fns.counters(out, koffi.sizeof(Counters)) as number, 'sg_counters_read');
    const res = {} as EngineCounters;
    for (const n of COUNTER_NAMES) res[n] = num(out[n]);
    return res;
  }

  /**
   * Forwards stable pass-through relay directions in the kernel (a tc program on the ingress of
   * each named interface: every one the peers' packets arrive on). Needs CAP_BPF and
   * CAP_NET_ADMIN; throws NativeError whose message says why when it cannot (the engine then
   * keeps relaying everything in user space, as before).
   */
  attachKernelForwarding(interfaces: readonly string[]): void {
    const names = interfaces.join(',');
    if (interfaces.length === 0 || interfaces.some((n) => n === '' || n.includes(','))) {
      throw new NativeError(`kernel forwarding: bad interface list "${names}"`);
    }
    const rc = this.fns.kfwdAttach(names) as number;
    if (rc < 0) {
      const why = this.kernelForwardingStatus().error;
      throw new NativeError(`kernel forwarding on ${names}: ${this.native.strerror(rc)}${why ? `: ${why}` : ''}`, { errno: rc });
    }
  }

  /** Detaches the tc program; the relays take their directions back. No-op when not attached. */
  detachKernelForwarding(): void {
    this.fns.kfwdDetach();
  }

  /**
   * Attaches receive steering: every IPv4 endpoint port of a media thread is delivered to one
   * socket per thread, read every intervalUs microseconds (0 = on readiness, up to 20 000).
   * Needs CAP_BPF and CAP_NET_ADMIN; throws NativeError whose message says why when it cannot
   * (the engine then reads each endpoint's socket, as before).
   */
  attachReceiveSteering(intervalUs: number): void {
    if (!Number.isInteger(intervalUs) || intervalUs < 0 || intervalUs > 20000) {
      throw new NativeError(`receive steering: interval ${intervalUs} us is not 0..20000`);
    }
    const rc = this.fns.steerAttach(intervalUs) as number;
    if (rc < 0) {
      const why = this.receiveSteeringStatus().error;
      throw new NativeError(`receive steering: ${this.native.strerror(rc)}${why ? `: ${why}` : ''}`, { errno: rc });
    }
  }

  /** Stops receive steering. No-op when not attached. */
  detachReceiveSteering(): void {
    this.fns.steerDetach();
  }

  receiveSteeringStatus(): ReceiveSteeringStatus {
    const out: Record<string, unknown> = {};
    this.native.check(this.fns.steerStatus(out, koffi.sizeof(SteerStatus)) as number, 'sg_steer_status');
    return {
      attached: num(out.attached) === 1,
      intervalUs: num(out.interval_us),
      ports: num(out.ports),
      packets: num(out.rx_packets),
      calls: num(out.rx_calls),
      unknown: num(out.rx_unknown),
      notSteered: num(out.not_steered),
      error: String(out.error ?? ''),
    };
  }

  kernelForwardingStatus(): KernelForwardingStatus {
    const out: Record<string, unknown> = {};
    this.native.check(this.fns.kfwdStatus(out, koffi.sizeof(KfwdStatus)) as number, 'sg_kfwd_status');
    return {
      interfaces: num(out.interfaces),
      flowsActive: num(out.flows_active),
      flowsInstalled: num(out.flows_installed),
      flowsRemoved: num(out.flows_removed),
      packets: num(out.fwd_packets),
      bytes: num(out.fwd_bytes),
      punted: num(out.punted),
      installFail: num(out.install_fail),
      error: String(out.error ?? ''),
    };
  }

  /** Opens an endpoint and returns its handle. */
  createEndpoint(cfg: RtpEndpointConfig): number {
    checkConfig(cfg);
    return this.native.check(this.fns.rtpCreate(toCConfig(cfg)) as number, 'sg_rtp_create');
  }

  /** Re-INVITE: new remote, payload types, keys. localAddr/localPort/ssrc/shard are ignored. */
  updateEndpoint(handle: number, cfg: RtpEndpointConfig): void {
    checkConfig(cfg);
    this.native.check(this.fns.rtpUpdate(handle, toCConfig(cfg)) as number, 'sg_rtp_update');
  }

  /** Closes the endpoint (and its relay); an 'rtp.closed' event carries the final figures. */
  destroyEndpoint(handle: number): void {
    this.native.check(this.fns.rtpDestroy(handle) as number, 'sg_rtp_destroy');
  }

  localPort(handle: number): number {
    return this.native.check(this.fns.rtpPort(handle) as number, 'sg_rtp_local_port');
  }

  /** Queues one RFC 4733 event (0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash). */
  sendDtmf(handle: number, event: number, durationMs = 100, volume = 10): void {
    this.native.check(this.fns.rtpDtmf(handle, event, durationMs, volume) as number, 'sg_rtp_send_dtmf');
  }

  endpointStats(handle: number): RtpStats {
    const o: Record<string, unknown> = {};
    this.native.check(this.fns.rtpStats(handle, o, koffi.sizeof(RtpStats)) as number, 'sg_rtp_stats');
    return {
      rxPackets: num(o.rx_packets),
      rxBytes: num(o.rx_bytes),
      txPackets: num(o.tx_packets),
      txBytes: num(o.tx_bytes),
      rxExpected: num(o.rx_expected),
      rxLost: num(o.rx_lost),
      rxDtmfEvents: num(o.rx_dtmf_events),
      rxCn: num(o.rx_cn),
      rxSsrc: num(o.rx_ssrc),
      txSsrc: num(o.tx_ssrc),
      jitterUs: num(o.jitter_us),
      rttUs: num(o.rtt_us),
      remoteJitterUs: num(o.remote_jitter_us),
      remoteLost: num(o.remote_lost),
      remoteFractionLost: num(o.remote_fraction_lost),
      latched: num(o.latched) !== 0,
      jbDelayMs: num(o.jb_delay_ms),
      idleMs: num(o.idle_ms),
    };
  }

  /** Joins two endpoints of one shard; returns the relay handle ('relay.started' follows). */
  createRelay(a: number, b: number): number {
    return this.native.check(this.fns.relayCreate(a, b) as number, 'sg_relay_create');
  }

  destroyRelay(handle: number): void {
    this.native.check(this.fns.relayDestroy(handle) as number, 'sg_relay_destroy');
  }

  relayMode(handle: number): RelayMode {
    const m = this.native.check(this.fns.relayMode(handle) as number, 'sg_relay_mode_of');
    return m === 2 ? 'transcode' : 'passthrough';
  }
}
