// media: the media relays for SIP⇄SIP calls: the rtpengine spangate runs or uses, and the
// native engine (libspangate) with its optional in-kernel forwarding.
// Keys have the shape of src/config/schema/key.ts (doc, format, default, env, reloadable).

interface Key<T> { doc: string; format: string | readonly unknown[]; default: T; env: string; reloadable: boolean }
const key = <T>(k: Key<T>): Key<T> => k;

export const mediaSchema = {
  relay: key<'rtpengine' | 'native'>({
    doc: 'Default media relay of SIP trunks (a trunk\'s mediaRelay overrides it): Debian\'s rtpengine (does everything: G.729, SRTP, …), or the native engine (PCMU, PCMA, G.722, Opus, SDES SRTP; pass-through forwarded in the kernel when permitted). Each relay runs only while some SIP trunk uses it; a call uses the native relay when both its trunks say native (src/media/relay-choice.ts).',
    format: ['rtpengine', 'native'], default: 'rtpengine', env: 'SPANGATE_MEDIA_RELAY', reloadable: false,
  }),
  timeoutMs: key<number>({
    doc: 'An answered call with no RTP from either side for this long is ended (cause 102). 0 = never.',
    format: 'duration-ms', default: 60_000, env: 'SPANGATE_MEDIA_TIMEOUT_MS', reloadable: true,
  }),
  checkIntervalMs: key<number>({
    doc: 'How often each call\'s packet counters are read from the relay to detect dead media.',
    format: 'duration-ms', default: 10_000, env: 'SPANGATE_MEDIA_CHECK_INTERVAL_MS', reloadable: true,
  }),
  native: {
    address: key<string>({
      doc: 'Native relay: local address its RTP endpoints bind to (the one peers reach).',
      format: 'ip-address', default: '127.0.0.1', env: 'SPANGATE_NATIVE_ADDRESS', reloadable: false,
    }),
    advertisedAddress: key<string>({
      doc: 'Native relay: address written into SDP when it differs from the bind address (1:1 NAT). Empty = the bind address.',
      format: 'optional-ip-address', default: '', env: 'SPANGATE_NATIVE_ADVERTISED', reloadable: false,
    }),
    portMin: key<number>({
      doc: 'Native relay: lowest RTP port. The process has one media engine: while the native relay runs, PRI B-channel endpoints take their ports from this range too (tdm.rtp.portMin/portMax apply only without it).',
      format: 'udp-port', default: 40000, env: 'SPANGATE_NATIVE_PORT_MIN', reloadable: false,
    }),
    portMax: key<number>({
      doc: 'Native relay: highest RTP port (two per leg: RTP and RTCP; four per call).',
      format: 'udp-port', default: 49999, env: 'SPANGATE_NATIVE_PORT_MAX', reloadable: false,
    }),
    mediaThreads: key<number>({
      doc: 'Native relay: media threads; 0 = the engine\'s default (one). Both endpoints of a call share a thread.',
      format: 'non-negative-int', default: 0, env: 'SPANGATE_NATIVE_MEDIA_THREADS', reloadable: false,
    }),
    kernelForwarding: key<'auto' | 'off'>({
      doc: 'Forward pass-through streams in the kernel (a tc program on kernelInterfaces). auto: attach when permitted (CAP_BPF + CAP_NET_ADMIN, a kernel with BPF; the packaged unit grants neither by default, see the README), otherwise log why once and relay in user space. off: always user space.',
      format: ['auto', 'off'], default: 'auto', env: 'SPANGATE_NATIVE_KERNEL_FORWARDING', reloadable: false,
    }),
    receiveSteering: key<'auto' | 'off'>({
      doc: 'Receive every RTP/RTCP port of a media thread on one socket (a BPF sk_lookup program in the network namespace), read in batches and told apart by destination port: fewer system calls and wake-ups than one socket per port (bench/RESULTS.md). Sending is unchanged. auto: attach when permitted (CAP_BPF + CAP_NET_ADMIN), otherwise log why once and read each port\'s socket. off (default): one socket per port. Worth it on transcoding-heavy hosts together with receiveIntervalUs (e.g. 1000).',
      format: ['auto', 'off'], default: 'off', env: 'SPANGATE_NATIVE_RECEIVE_STEERING', reloadable: false,
    }),
    receiveIntervalUs: key<number>({
      doc: 'With receive steering: 0 = read the steering socket whenever it is readable (no added latency); N (up to 20000) = read it every N microseconds, which batches more datagrams per wake-up (less CPU at high load) and delays each by up to N µs.',
      format: 'non-negative-int', default: 0, env: 'SPANGATE_NATIVE_RECEIVE_INTERVAL_US', reloadable: false,
    }),
    kernelInterfaces: key<string>({
      doc: 'Interfaces the peers\' RTP arrives on, comma-separated (e.g. "eth0,eth1"; "lo" for peers on this host). Empty = the interface that holds native.address (every interface for 0.0.0.0).',
      format: 'interface-list', default: '', env: 'SPANGATE_NATIVE_KERNEL_INTERFACES', reloadable: false,
    }),
  },
  rtpengine: {
    mode: key<'managed' | 'external'>({
      doc: 'managed: spangate starts, watches and restarts its own rtpengine. external: use a running one at ngHost:ngPort.',
      format: ['managed', 'external'], default: 'managed', env: 'SPANGATE_RTPENGINE_MODE', reloadable: false,
    }),
    binary: key<string>({
      doc: 'The rtpengine program (Debian package rtpengine-daemon).',
      format: 'abs-path', default: '/usr/bin/rtpengine', env: 'SPANGATE_RTPENGINE_BINARY', reloadable: false,
    }),
    ngHost: key<string>({
      doc: 'Address of rtpengine\'s NG control socket (UDP). Keep it on loopback for a managed one.',
      format: 'ip-address', default: '127.0.0.1', env: 'SPANGATE_RTPENGINE_NG_HOST', reloadable: false,
    }),
    ngPort: key<number>({
      doc: 'Port of rtpengine\'s NG control socket (UDP).',
      format: 'udp-port', default: 2223, env: 'SPANGATE_RTPENGINE_NG_PORT', reloadable: false,
    }),
    interface: key<string>({
      doc: 'Managed: local address rtpengine opens RTP ports on (the one peers reach).',
      format: 'ip-address', default: '127.0.0.1', env: 'SPANGATE_RTPENGINE_INTERFACE', reloadable: false,
    }),
    advertisedAddress: key<string>({
      doc: 'Managed: address written into SDP when it differs from the interface (1:1 NAT). Empty = the interface.',
      format: 'optional-ip-address', default: '', env: 'SPANGATE_RTPENGINE_ADVERTISED', reloadable: false,
    }),
    portMin: key<number>({
      doc: 'Managed: lowest RTP port (Teams Direct Routing needs at least two per concurrent call).',
      format: 'udp-port', default: 30000, env: 'SPANGATE_RTPENGINE_PORT_MIN', reloadable: false,
    }),
    portMax: key<number>({
      doc: 'Managed: highest RTP port.',
      format: 'udp-port', default: 39999, env: 'SPANGATE_RTPENGINE_PORT_MAX', reloadable: false,
    }),
    logLevel: key<number>({
      doc: 'Managed: rtpengine\'s log level, 0 (emergencies) to 7 (debug); its lines go to our log with src=rtpengine.',
      format: [0, 1, 2, 3, 4, 5, 6, 7], default: 5, env: 'SPANGATE_RTPENGINE_LOG_LEVEL', reloadable: false,
    }),
    threads: key<number>({
      doc: 'Managed: rtpengine worker threads; 0 = its default (one per CPU; measured: no tuning needed on 2 cores).',
      format: 'non-negative-int', default: 0, env: 'SPANGATE_RTPENGINE_THREADS', reloadable: false,
    }),
    ngTimeoutMs: key<number>({
      doc: 'Timeout of each NG request (offer, answer, delete, query, ping).',
      format: 'duration-ms', default: 3_000, env: 'SPANGATE_RTPENGINE_NG_TIMEOUT_MS', reloadable: false,
    }),
    pingIntervalMs: key<number>({
      doc: 'Health check: NG ping interval; two pings unanswered within ngTimeoutMs mark rtpengine down (a managed one is killed and restarted).',
      format: 'duration-ms', default: 5_000, env: 'SPANGATE_RTPENGINE_PING_MS', reloadable: false,
    }),
    restartMaxMs: key<number>({
      doc: 'Managed: restart backoff starts at 0.5 s and doubles up to this.',
      format: 'duration-ms', default: 30_000, env: 'SPANGATE_RTPENGINE_RESTART_MAX_MS', reloadable: false,
    }),
    pidFile: key<string>({
      doc: 'Managed: pid file, so an rtpengine orphaned by a crash of spangate is stopped at the next start.',
      format: 'abs-path', default: '/run/spangate/rtpengine.pid', env: 'SPANGATE_RTPENGINE_PID_FILE', reloadable: false,
    }),
    dtmfLogPort: key<number>({
      doc: 'UDP port spangate receives rtpengine\'s DTMF events on (its --dtmf-log-dest), for RFC 4733 → SIP INFO toward `dtmf: info` trunks. Managed: listened on at ngHost, 0 = any free port (passed to rtpengine). External: listened on at every address, only datagrams from ngHost accepted; configure rtpengine\'s dtmf-log-dest to this host and port; 0 = off (RFC 4733 digits then reach INFO trunks as RTP, no INFO).',
      format: 'port-or-zero', default: 0, env: 'SPANGATE_RTPENGINE_DTMF_LOG_PORT', reloadable: false,
    }),
  },
};

/** Checks for the formats above that src/config/formats.ts does not have yet. Each throws a plain Error. */
export const mediaFormats = {
  'udp-port': { check: (v: unknown): void => { if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) throw new Error('must be a port number 1-65535'); } },
  'port-or-zero': { check: (v: unknown): void => { if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535) throw new Error('must be a port number 0-65535'); } },
  'non-negative-int': { check: (v: unknown): void => { if (!Number.isInteger(v) || (v as number) < 0) throw new Error('must be a whole number ≥ 0'); } },
  'interface-list': {
    check: (v: unknown): void => {
      if (typeof v !== 'string' || (v !== '' && !v.split(',').every((n) => /^[A-Za-z0-9_.:@-]{1,15}$/.test(n.trim())))) {
        throw new Error('must be interface names separated by commas, or empty');
      }
    },
  },
  'optional-ip-address': {
    check: (v: unknown): void => {
      if (v === '') return;
      if (typeof v !== 'string' || !/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/.test(v)) throw new Error('must be an IP address or empty');
    },
  },
};

/** Cross-key rules of this section, for src/config/rules.ts. Returns [key path, reason] pairs. */
export function mediaRules(m: {
  rtpengine: { portMin: number; portMax: number; mode: string; ngHost: string };
  native: { portMin: number; portMax: number; receiveIntervalUs?: number };
}): [string, string][] {
  const out: [string, string][] = [];
  if (m.native.portMax - m.native.portMin < 3) out.push(['media.native.portMax', 'must be at least media.native.portMin + 3 (one call: 4 ports)']);
  if ((m.native.receiveIntervalUs ?? 0) > 20_000) out.push(['media.native.receiveIntervalUs', 'must be 20000 (20 ms, one packet time) or less']);
  if (m.rtpengine.portMin >= m.rtpengine.portMax) out.push(['media.rtpengine.portMin', 'must be below media.rtpengine.portMax']);
  if (m.rtpengine.portMax - m.rtpengine.portMin < 3) out.push(['media.rtpengine.portMax', 'the range must hold at least one call (4 ports)']);
  if (m.rtpengine.mode === 'managed' && !m.rtpengine.ngHost.startsWith('127.') && m.rtpengine.ngHost !== '::1') {
    out.push(['media.rtpengine.ngHost', 'a managed rtpengine\'s NG socket must be on loopback (NG has no authentication)']);
  }
  return out;
}
