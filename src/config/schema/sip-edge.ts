// sip.edge: the SIP server drachtio-srf talks to. `embedded` runs spangate's own edge
// (src/sip/edge) in a worker thread or child process; `external` connects to a drachtio-server.
// Keys have the shape of src/config/schema/key.ts (doc, format, default, env, reloadable).
// Listeners, mode, TLS material and timers are taken when the edge starts (restart); the
// overload limits are pushed to the running edge on reload.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';

interface Key<T> { doc: string; format: string | readonly unknown[]; default: T; env: string; reloadable: boolean; sensitive?: boolean }
const key = <T>(k: Key<T>): Key<T> => k;

export type SipProto = 'udp' | 'tcp' | 'tls';

export interface SipListenerConfig {
  proto: SipProto;
  /** IP address to bind (0.0.0.0 / :: for every address). */
  host: string;
  /** 0 = an ephemeral port (tests, demo). */
  port: number;
  /** Address written in Via/Contact when it differs from host (1:1 NAT, or a wildcard bind). */
  advertisedAddress?: string;
}

export const DEFAULT_SIP_LISTEN: SipListenerConfig[] = [
  { proto: 'udp', host: '0.0.0.0', port: 5060 },
  { proto: 'tcp', host: '0.0.0.0', port: 5060 },
];

export const sipEdgeSchema = {
  mode: key<'embedded' | 'external'>({
    doc: 'embedded: spangate runs its own SIP edge; external: drachtio-srf connects to a drachtio-server at sip.edge.external.',
    format: ['embedded', 'external'], default: 'embedded', env: 'SPANGATE_SIP_EDGE_MODE', reloadable: false,
  }),
  runIn: key<'worker' | 'child'>({
    doc: 'Embedded: run the edge in a worker thread (less memory) or a child process (own limits); see docs/sip-edge.md.',
    format: ['worker', 'child'], default: 'worker', env: 'SPANGATE_SIP_EDGE_RUN_IN', reloadable: false,
  }),
  listen: key<SipListenerConfig[]>({
    doc: 'Embedded: SIP listeners, a list of { "proto": "udp"|"tcp"|"tls", "host": IP, "port": 0-65535, "advertisedAddress"?: IP }; port 0 = ephemeral. A tls listener needs sip.edge.tls.cert and key.',
    format: 'sip-listeners', default: DEFAULT_SIP_LISTEN, env: 'SPANGATE_SIP_LISTEN', reloadable: false,
  }),
  tls: {
    cert: key<string>({
      doc: 'Embedded: PEM certificate (chain) of the TLS listeners, also presented as client certificate on outbound TLS. Empty = none.',
      format: 'optional-abs-path', default: '', env: 'SPANGATE_SIP_TLS_CERT', reloadable: false,
    }),
    key: key<string>({
      doc: 'Embedded: PEM private key of sip.edge.tls.cert.',
      format: 'optional-abs-path', default: '', env: 'SPANGATE_SIP_TLS_KEY', reloadable: false,
    }),
    ca: key<string>({
      doc: 'Embedded: PEM CA bundle trusted for client certificates (mutual TLS) and for servers on outbound TLS. Empty = the system CAs for outbound.',
      format: 'optional-abs-path', default: '', env: 'SPANGATE_SIP_TLS_CA', reloadable: false,
    }),
    verifyClient: key<boolean>({
      doc: 'Embedded: mutual TLS: TLS listeners ask for a client certificate signed by sip.edge.tls.ca and refuse clients without one.',
      format: 'boolean', default: false, env: 'SPANGATE_SIP_TLS_VERIFY_CLIENT', reloadable: false,
    }),
    verifyServer: key<boolean>({
      doc: 'Embedded: outbound TLS checks the server certificate (against sip.edge.tls.ca, else the system CAs).',
      format: 'boolean', default: true, env: 'SPANGATE_SIP_TLS_VERIFY_SERVER', reloadable: false,
    }),
    minVersion: key<'TLSv1.2' | 'TLSv1.3'>({
      doc: 'Embedded: lowest TLS version accepted and offered (Teams Direct Routing needs TLSv1.2).',
      format: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2', env: 'SPANGATE_SIP_TLS_MIN_VERSION', reloadable: false,
    }),
  },
  timers: {
    t1Ms: key<number>({
      doc: 'Embedded: RFC 3261 T1, the round-trip estimate UDP retransmissions start from.',
      format: 'sip-timer-ms', default: 500, env: 'SPANGATE_SIP_T1_MS', reloadable: false,
    }),
    t2Ms: key<number>({
      doc: 'Embedded: RFC 3261 T2, the longest retransmission interval for non-INVITE requests and INVITE responses.',
      format: 'sip-timer-ms', default: 4000, env: 'SPANGATE_SIP_T2_MS', reloadable: false,
    }),
  },
  overload: {
    maxInviteRate: key<number>({
      doc: 'Embedded: new INVITEs accepted per second; above it they get 503 with Retry-After (in-dialog traffic is unaffected). 0 = no limit.',
      format: 'non-negative-int', default: 0, env: 'SPANGATE_SIP_MAX_INVITE_RATE', reloadable: true,
    }),
    maxPendingRequests: key<number>({
      doc: 'Embedded: incoming requests waiting for the application; at this backlog new INVITEs get 503 with Retry-After. 0 = no limit.',
      format: 'non-negative-int', default: 5000, env: 'SPANGATE_SIP_MAX_PENDING', reloadable: true,
    }),
    retryAfterS: key<number>({
      doc: 'Retry-After seconds in 503 answers: overload (embedded edge) and new INVITEs/OPTIONS while the daemon drains.',
      format: 'non-negative-int', default: 5, env: 'SPANGATE_SIP_RETRY_AFTER_S', reloadable: true,
    }),
  },
  hostMap: key<Record<string, string | string[]>>({
    doc: 'Embedded: host names answered before DNS, { "pbx.example": "192.0.2.7", "uc": ["192.0.2.8", "192.0.2.9"] } (several: tried in order). For tests and air-gapped sites.',
    format: 'sip-host-map', default: {}, env: 'SPANGATE_SIP_HOST_MAP', reloadable: false,
  }),
  restartMaxMs: key<number>({
    doc: 'Restart of a dead edge and reconnection of drachtio-srf back off from 0.5 s, doubling up to this.',
    format: 'duration-ms', default: 30_000, env: 'SPANGATE_SIP_RESTART_MAX_MS', reloadable: false,
  }),
  external: {
    host: key<string>({
      doc: 'External: address or host name of the drachtio-server control socket.',
      format: 'host-or-ip', default: '127.0.0.1', env: 'SPANGATE_SIP_EXTERNAL_HOST', reloadable: false,
    }),
    port: key<number>({
      doc: 'External: port of the drachtio-server control socket.',
      format: 'udp-port', default: 9022, env: 'SPANGATE_SIP_EXTERNAL_PORT', reloadable: false,
    }),
    secret: key<string>({
      doc: 'External: the drachtio-server shared secret (required in external mode).',
      format: 'control-secret', default: '', env: 'SPANGATE_SIP_EXTERNAL_SECRET', reloadable: false, sensitive: true,
    }),
    tls: key<boolean>({
      doc: 'External: connect to the control socket over TLS (server certificate checked against sip.edge.external.ca).',
      format: 'boolean', default: false, env: 'SPANGATE_SIP_EXTERNAL_TLS', reloadable: false,
    }),
    ca: key<string>({
      doc: 'External: PEM CA bundle for the control socket\'s certificate; empty = the system CAs.',
      format: 'optional-abs-path', default: '', env: 'SPANGATE_SIP_EXTERNAL_CA', reloadable: false,
    }),
  },
};

const PROTOS: readonly string[] = ['udp', 'tcp', 'tls'];

function checkListeners(v: unknown): void {
  if (!Array.isArray(v)) throw new Error('must be a list of { proto, host, port } listeners');
  const seen = new Map<string, number>();
  v.forEach((l: unknown, i) => {
    const at = `listener ${i}`;
    if (typeof l !== 'object' || l === null || Array.isArray(l)) throw new Error(`${at} must be an object { proto, host, port }`);
    const o = l as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!['proto', 'host', 'port', 'advertisedAddress'].includes(k)) throw new Error(`${at}: unknown field ${k} (fields: proto, host, port, advertisedAddress)`);
    }
    if (typeof o.proto !== 'string' || !PROTOS.includes(o.proto)) throw new Error(`${at}: proto must be udp, tcp or tls (got ${JSON.stringify(o.proto)})`);
    if (typeof o.host !== 'string' || isIP(o.host) === 0) throw new Error(`${at}: host must be an IPv4 or IPv6 address (got ${JSON.stringify(o.host)})`);
    if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
      throw new Error(`${at}: port must be a port number between 0 and 65535 (got ${JSON.stringify(o.port)})`);
    }
    if (o.advertisedAddress !== undefined && (typeof o.advertisedAddress !== 'string' || o.advertisedAddress === '')) {
      throw new Error(`${at}: advertisedAddress must be a non-empty address or host name`);
    }
    if (o.port === 0) return; // ephemeral ports never collide
    // TCP and TLS share the kernel's TCP port space; UDP has its own.
    const space = o.proto === 'udp' ? 'udp' : 'tcp';
    const wildcard = o.host === '0.0.0.0' || o.host === '::';
    for (const [k, j] of seen) {
      const [s, host, port] = k.split('|');
      if (s !== space || Number(port) !== o.port) continue;
      const otherWild = host === '0.0.0.0' || host === '::';
      const sameFamily = (isIP(host!) === 6) === (isIP(o.host) === 6);
      if (host === o.host || (sameFamily && (wildcard || otherWild))) {
        throw new Error(`${at} (${o.proto} ${o.host}:${o.port}) duplicates or overlaps listener ${j} (${host}:${port}, same ${space.toUpperCase()} port)`);
      }
    }
    seen.set(`${space}|${o.host}|${o.port}`, i);
  });
}

function checkHostMap(v: unknown): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('must be an object of host name: IP address or list of IP addresses');
  for (const [name, ips] of Object.entries(v)) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(name)) throw new Error(`host name ${JSON.stringify(name)} is not a valid DNS name`);
    const list = Array.isArray(ips) ? ips : [ips];
    if (list.length === 0) throw new Error(`${name}: needs at least one address`);
    for (const ip of list) {
      if (typeof ip !== 'string' || isIP(ip) === 0) throw new Error(`${name}: ${JSON.stringify(ip)} is not an IP address`);
    }
  }
}

const json = (s: string): unknown => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
};

export const sipEdgeFormats = {
  'control-secret': {
    check: (v: unknown): void => {
      if (typeof v !== 'string' || /[|\r\n]/.test(v)) throw new Error('must be a string without "|" or line breaks (drachtio frames are |-separated)');
    },
  },
  'host-or-ip': {
    check: (v: unknown): void => {
      if (typeof v !== 'string' || (isIP(v) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(v))) throw new Error(`must be an IP address or host name (got ${JSON.stringify(v)})`);
    },
  },
  'sip-listeners': { check: checkListeners, coerce: json },
  'sip-host-map': { check: checkHostMap, coerce: json },
  'sip-timer-ms': {
    check: (v: unknown): void => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 10 || v > 60_000) throw new Error(`must be a whole number of milliseconds between 10 and 60000 (got ${JSON.stringify(v)})`);
    },
    coerce: (s: string): unknown => (/^\s*\d+\s*$/.test(s) ? Number(s) : s),
  },
};

/** What the rules below read. */
export interface SipEdgeValues {
  mode: string;
  listen: readonly SipListenerConfig[];
  tls: { cert: string; key: string; ca: string; verifyClient: boolean };
  timers: { t1Ms: number; t2Ms: number };
  external: { secret: string; tls: boolean; ca: string };
}

/** A readable file of PEM material: returns a reason when it is not. */
function pemProblem(path: string, kind: 'cert' | 'key'): string | undefined {
  if (!isAbsolute(path)) return 'must be an absolute path';
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path}: no such file` : code === 'EACCES' ? `${path}: permission denied` : `${path}: cannot read (${code})`;
  }
  try {
    const text = readFileSync(path);
    if (kind === 'key') createPrivateKey(text);
    else new X509Certificate(text);
  } catch {
    return `${path} is not a PEM ${kind === 'key' ? 'private key' : 'certificate'}`;
  }
  return undefined;
}

/** Cross-key rules of sip.edge, for src/config/rules.ts. Returns [key path, reason] pairs. */
export function sipEdgeRules(e: SipEdgeValues): [string, string][] {
  const out: [string, string][] = [];
  if (e.mode === 'embedded') {
    if (e.listen.length === 0) out.push(['sip.edge.listen', 'the embedded edge needs at least one listener']);
    const tlsListeners = e.listen.some((l) => l.proto === 'tls');
    if (tlsListeners && (e.tls.cert === '' || e.tls.key === '')) {
      out.push([e.tls.cert === '' ? 'sip.edge.tls.cert' : 'sip.edge.tls.key', 'a tls listener in sip.edge.listen needs both sip.edge.tls.cert and sip.edge.tls.key']);
    }
    if (e.tls.verifyClient && e.tls.ca === '') out.push(['sip.edge.tls.ca', 'sip.edge.tls.verifyClient needs the CA that signs client certificates']);
    if ((e.tls.cert === '') !== (e.tls.key === '')) {
      out.push([e.tls.cert === '' ? 'sip.edge.tls.cert' : 'sip.edge.tls.key', 'sip.edge.tls.cert and sip.edge.tls.key go together']);
    }
    for (const [k, kind] of [['cert', 'cert'], ['key', 'key'], ['ca', 'cert']] as const) {
      const p = e.tls[k];
      if (p === '') continue;
      const why = pemProblem(p, kind);
      if (why) out.push([`sip.edge.tls.${k}`, why]);
    }
    if (e.timers.t2Ms < e.timers.t1Ms) out.push(['sip.edge.timers.t2Ms', `must not be below sip.edge.timers.t1Ms (${e.timers.t1Ms})`]);
  } else {
    if (e.external.secret === '') out.push(['sip.edge.external.secret', 'external mode needs the drachtio-server shared secret']);
    if (e.external.ca !== '') {
      const why = pemProblem(e.external.ca, 'cert');
      if (why) out.push(['sip.edge.external.ca', why]);
    }
  }
  return out;
}
