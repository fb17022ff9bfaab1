// koffi mirrors of the engine's public structs (native/include/spangate/{engine,rtp,relay,codec}.h).
// Every struct here is size-checked against sg_struct_size() at load (see native.ts).
import koffi from 'koffi';

export const SG_ADDR_MAX = 48;
export const SG_SRTP_KEY_MAX = 64;
export const SG_RTP_CODEC_MAX = 16;
export const SG_EVENT_SIZE = 64;
export const SG_EVENT_PAYLOAD_OFFSET = 16;

export const EngineConfig = koffi.struct('sg_engine_config_t', {
  struct_size: 'uint32_t',
  media_threads: 'uint32_t',
  max_endpoints: 'uint32_t',
  max_relays: 'uint32_t',
  tick_ms: 'uint32_t',
  port_min: 'uint16_t',
  port_max: 'uint16_t',
  queue_depth: 'uint32_t',
  rt_priority: 'int32_t',
  reserved: 'uint32_t',
});

/** Counter names in struct order (sg_counters_t); all uint64. */
export const COUNTER_NAMES = [
  'rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'tx_errors', 'rx_malformed', 'rx_foreign',
  'rx_unknown_pt', 'srtp_rx_fail', 'srtp_tx_fail', 'rtcp_rx', 'rtcp_tx', 'dtmf_rx_events',
  'dtmf_tx_events', 'cn_rx', 'relay_forwarded', 'relay_transcoded', 'relay_dropped', 'ssrc_changes',
  'latches', 'media_timeouts', 'jb_frames', 'jb_concealed', 'jb_late', 'jb_overflow', 'ticks',
  'tick_overruns', 'commands', 'queue_full', 'wakeups', 'endpoints_active', 'relays_active',
  'kfwd_packets', 'kfwd_bytes', 'kfwd_punted', 'kfwd_installs', 'kfwd_removals', 'kfwd_active',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export const Counters = koffi.struct(
  'sg_counters_t',
  Object.fromEntries(COUNTER_NAMES.map((n) => [n, 'uint64_t'])) as Record<CounterName, string>,
);

export const SG_KFWD_ERROR_MAX = 160;

/** sg_kfwd_status_t (spangate/kfwd.h): in-kernel forwarding of pass-through relay directions. */
export const KfwdStatus = koffi.struct('sg_kfwd_status_t', {
  struct_size: 'uint32_t',
  interfaces: 'uint32_t',
  flows_active: 'uint64_t',
  flows_installed: 'uint64_t',
  flows_removed: 'uint64_t',
  fwd_packets: 'uint64_t',
  fwd_bytes: 'uint64_t',
  punted: 'uint64_t',
  install_fail: 'uint64_t',
  error: koffi.array('char', SG_KFWD_ERROR_MAX, 'String'),
});

export const SG_STEER_ERROR_MAX = 160;

/** sg_steer_status_t (spangate/steer.h): receive steering, one socket per media thread. */
export const SteerStatus = koffi.struct('sg_steer_status_t', {
  struct_size: 'uint32_t',
  attached: 'uint32_t',
  interval_us: 'uint32_t',
  reserved: 'uint32_t',
  ports: 'uint64_t',
  rx_packets: 'uint64_t',
  rx_calls: 'uint64_t',
  rx_unknown: 'uint64_t',
  not_steered: 'uint64_t',
  error: koffi.array('char', SG_STEER_ERROR_MAX, 'String'),
});

export const RtpConfig = koffi.struct('sg_rtp_config_t', {
  struct_size: 'uint32_t',
  flags: 'uint32_t',
  local_addr: koffi.array('char', SG_ADDR_MAX, 'String'),
  remote_addr: koffi.array('char', SG_ADDR_MAX, 'String'),
  local_port: 'uint16_t',
  remote_port: 'uint16_t',
  remote_rtcp_port: 'uint16_t',
  payload_type: 'uint8_t',
  dtmf_pt: 'uint8_t',
  cn_pt: 'uint8_t',
  srtp_suite: 'uint8_t',
  ptime_ms: 'uint16_t',
  clock_rate: 'uint32_t',
  codec: koffi.array('char', SG_RTP_CODEC_MAX, 'String'),
  media_timeout_ms: 'uint32_t',
  ssrc: 'uint32_t',
  shard: 'uint32_t',
  jb_min_ms: 'uint16_t',
  jb_max_ms: 'uint16_t',
  srtp_tx_key: koffi.array('char', SG_SRTP_KEY_MAX, 'String'),
  srtp_rx_key: koffi.array('char', SG_SRTP_KEY_MAX, 'String'),
});

export const RtpStats = koffi.struct('sg_rtp_stats_t', {
  rx_packets: 'uint64_t',
  rx_bytes: 'uint64_t',
  tx_packets: 'uint64_t',
  tx_bytes: 'uint64_t',
  rx_expected: 'uint64_t',
  rx_lost: 'int64_t',
  rx_dtmf_events: 'uint64_t',
  rx_cn: 'uint64_t',
  rx_ssrc: 'uint32_t',
  tx_ssrc: 'uint32_t',
  jitter_us: 'uint32_t',
  rtt_us: 'uint32_t',
  remote_jitter_us: 'uint32_t',
  remote_lost: 'int32_t',
  remote_fraction_lost: 'uint8_t',
  latched: 'uint8_t',
  jb_delay_ms: 'uint16_t',
  idle_ms: 'uint32_t',
});

// Event payloads (decoded from the 48 bytes after the 16-byte record header).
export const EvAddr = koffi.struct('sg_rtp_ev_addr_t', {
  addr: koffi.array('char', SG_ADDR_MAX - 2, 'String'),
  port: 'uint16_t',
});
export const EvTimeout = koffi.struct('sg_rtp_ev_timeout_t', { idle_ms: 'uint32_t' });
export const EvDtmf = koffi.struct('sg_rtp_ev_dtmf_t', {
  event: 'uint8_t',
  end: 'uint8_t',
  volume: 'uint8_t',
  reserved: 'uint8_t',
  duration_ms: 'uint32_t',
  rtp_ts: 'uint32_t',
});
export const EvSsrc = koffi.struct('sg_rtp_ev_ssrc_t', { old_ssrc: 'uint32_t', new_ssrc: 'uint32_t' });
export const EvRtcp = koffi.struct('sg_rtp_ev_rtcp_t', {
  remote_ssrc: 'uint32_t',
  rtt_us: 'uint32_t',
  remote_jitter_us: 'uint32_t',
  remote_lost: 'int32_t',
  jitter_us: 'uint32_t',
  remote_fraction_lost: 'uint8_t',
  reserved: koffi.array('uint8_t', 3),
});
export const EvClosed = koffi.struct('sg_rtp_ev_closed_t', {
  rx_packets: 'uint64_t',
  tx_packets: 'uint64_t',
  rx_lost: 'int64_t',
  jitter_us: 'uint32_t',
  rtt_us: 'uint32_t',
  rx_expected: 'uint64_t',
});
export const EvRelay = koffi.struct('sg_relay_ev_t', {
  endpoint_a: 'uint32_t',
  endpoint_b: 'uint32_t',
  mode: 'uint8_t',
  reserved: koffi.array('uint8_t', 3),
  err: 'int32_t',
});

/** One row of the codec table (sg_codec_info(), native/include/spangate/codec.h). */
export const CodecInfo = koffi.struct('sg_codec_info_t', {
  name: koffi.array('char', 16, 'String'),
  fmtp: koffi.array('char', 64, 'String'),
  clock_rate: 'uint32_t',
  sample_rate: 'uint32_t',
  frame_ms: 'uint16_t',
  payload_type: 'uint8_t',
  channels: 'uint8_t',
});

/** Per-leg codec options (zero = the codec's default for every field). */
export const CodecOpts = koffi.struct('sg_codec_opts_t', {
  sample_rate: 'uint32_t',
  bitrate: 'uint32_t',
  complexity: 'int32_t',
  fec: 'uint8_t',
  dtx: 'uint8_t',
  packet_loss_pct: 'uint8_t',
  reserved: 'uint8_t',
  frame_ms: 'uint16_t',
  reserved2: 'uint16_t',
});

/** Every struct the binding mirrors, by its C name: checked against the library at load. */
export const MIRRORED_STRUCTS: ReadonlyArray<readonly [string, koffi.IKoffiCType]> = [
  ['sg_engine_config_t', EngineConfig],
  ['sg_counters_t', Counters],
  ['sg_kfwd_status_t', KfwdStatus],
  ['sg_steer_status_t', SteerStatus],
  ['sg_rtp_config_t', RtpConfig],
  ['sg_rtp_stats_t', RtpStats],
  ['sg_rtp_ev_addr_t', EvAddr],
  ['sg_rtp_ev_timeout_t', EvTimeout],
  ['sg_rtp_ev_dtmf_t', EvDtmf],
  ['sg_rtp_ev_ssrc_t', EvSsrc],
  ['sg_rtp_ev_rtcp_t', EvRtcp],
  ['sg_rtp_ev_closed_t', EvClosed],
  ['sg_relay_ev_t', EvRelay],
  ['sg_codec_info_t', CodecInfo],
  ['sg_codec_opts_t', CodecOpts],
];
