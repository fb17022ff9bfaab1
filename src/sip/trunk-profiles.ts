// Per-trunk SIP settings and the profiles that preset them. A profile is nothing but plain
// settings: `teams` is TLS 1.2 on 5061 + FQDN Contact + OPTIONS every 60 s + SDES SRTP + REFER
// handled locally + History-Info; anything a trunk's config sets wins over its profile.

import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import type { LegMediaOptions, DtmfMode } from '../media/relay.js';
import type { NumberFormat } from '../routing/numbers.js';

export type Transport = 'udp' | 'tcp' | 'tls';
export type SrtpPolicy = 'off' | 'optional' | 'required';
export type ProfileName = 'generic' | 'ocs2007' | 'lync' | 'teams';

export interface OptionsPing {
  enabled: boolean;
  intervalS: number;
  timeoutMs: number;
  /** Consecutive failures before the trunk is marked down, and successes before it is up again. */
  downAfter: number;
  upAfter: number;
}

export interface TrunkSettings {
  profile: ProfileName;
  /** Peer addresses in failover order: IPs or host names, optionally `:port`. */
  addresses: string[];
  transport: Transport;
  port: number;
  /** Resolve addresses through DNS SRV (_sip._tcp / _sips._tcp …) before A records. */
  srv: boolean;
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Present our certificate and require the peer's (mutual TLS). */
  mutualTls: boolean;
  /** FQDN for Contact and Record-Route (must match our certificate for Teams). Empty: our IP. */
  contactFqdn: string;
  options: OptionsPing;
  /** Concurrent calls and new calls per second; 0 = unlimited. Excess gets 503 / cause 34. */
  maxCalls: number;
  maxCps: number;
  /** Source networks (CIDR) allowed to send us requests; empty = the trunk's resolved addresses. */
  acl: string[];
  /** Digest credentials we answer challenges with; empty username = none. */
  authUsername: string;
  authPassword: string;
  /** Challenge this trunk's requests with digest auth (realm); empty = do not challenge. */
  inboundAuthRealm: string;
  /**
   * Credentials this trunk must present when challenged (inboundAuthRealm set); empty = the same
   * as authUsername/authPassword (one shared account both ways).
   */
  inboundAuthUsername: string;
  inboundAuthPassword: string;
  /** RTP encoding names in preference order. */
  codecs: string[];
  srtp: SrtpPolicy;
  srtpSuites: string[];
  dtmf: DtmfMode;
  /** Body of the INFOs we send on a `dtmf: info` trunk: application/dtmf-relay (Signal=, Duration=) or application/dtmf (the digit). */
  dtmfInfoType: 'dtmf-relay' | 'dtmf';
  numberFormat: NumberFormat;
  /** REFER from this peer: act on it locally (B2BUA transfer), pass it on, or refuse it. */
  refer: 'local' | 'pass' | 'reject';
  historyInfo: boolean;
  /** OCS "remove + from Request-URI". */
  stripPlusInRequestUri: boolean;
  /** Latch RTP onto its real source (NAT). */
  symmetricRtp: boolean;
  /** Media relay for calls on this trunk; 'default' = media.relay (src/media/relay-choice.ts). */
  mediaRelay: MediaRelayChoice;
}

export type MediaRelayChoice = 'default' | 'rtpengine' | 'native';

export const GENERIC: TrunkSettings = {
  profile: 'generic',
  addresses: [],
  transport: 'udp',
  port: 5060,
  srv: false,
  tlsMinVersion: 'TLSv1.2',
  mutualTls: false,
  contactFqdn: '',
  options: { enabled: true, intervalS: 30, timeoutMs: 2000, downAfter: 2, upAfter: 2 },
  maxCalls: 0,
  maxCps: 0,
  acl: [],
  authUsername: '',
  authPassword: '',
  inboundAuthRealm: '',
  inboundAuthUsername: '',
  inboundAuthPassword: '',
  codecs: ['PCMU', 'PCMA', 'G722', 'telephone-event'],
  srtp: 'off',
  srtpSuites: ['AES_CM_128_HMAC_SHA1_80'],
  dtmf: 'rfc4733',
  dtmfInfoType: 'dtmf-relay',
  numberFormat: 'e164',
  refer: 'reject',
  historyInfo: false,
  stripPlusInRequestUri: false,
  symmetricRtp: true,
  mediaRelay: 'default',
};

/** What each profile changes from GENERIC. */
export const PROFILES: Record<ProfileName, Partial<TrunkSettings>> = {
  generic: {},
  // OCS 2007 Mediation Server: TCP 5068 (or MTLS 5067), G.711 only, RFC 2833 DTMF, no SRTP.
  ocs2007: {
    transport: 'tcp', port: 5068, codecs: ['PCMU', 'PCMA', 'telephone-event'], srtp: 'off', dtmf: 'rfc4733',
    numberFormat: 'e164', options: { enabled: true, intervalS: 60, timeoutMs: 3000, downAfter: 2, upAfter: 2 },
  },
  // Lync/SfB Mediation: MTLS on 5067, SRTP supported, REFER from enhanced gateways.
  lync: {
    transport: 'tls', port: 5067, mutualTls: true, codecs: ['PCMU', 'PCMA', 'telephone-event'], srtp: 'optional',
    refer: 'local', numberFormat: 'e164', options: { enabled: true, intervalS: 60, timeoutMs: 3000, downAfter: 2, upAfter: 2 },
  },
  // Teams Direct Routing: TLS 1.2 on 5061, FQDN Contact/Record-Route, OPTIONS every 60 s,
  // SDES SRTP AES_CM_128_HMAC_SHA1_80, REFER handled by the SBC, History-Info, SRV lookup.
  teams: {
    transport: 'tls', port: 5061, tlsMinVersion: 'TLSv1.2', mutualTls: true, srv: false,
    addresses: ['sip.pstnhub.microsoft.com', 'sip2.pstnhub.microsoft.com', 'sip3.pstnhub.microsoft.com'],
    options: { enabled: true, intervalS: 60, timeoutMs: 5000, downAfter: 2, upAfter: 1 },
    codecs: ['G722', 'PCMU', 'PCMA', 'telephone-event'], srtp: 'required', srtpSuites: ['AES_CM_128_HMAC_SHA1_80'],
    dtmf: 'rfc4733', numberFormat: 'e164', refer: 'local', historyInfo: true,
  },
};

const CODECS = new Set(['PCMU', 'PCMA', 'G722', 'G729', 'opus', 'GSM', 'speex', 'telephone-event', 'CN']);

/** A trunk's config: a profile name and any plain settings overriding it. */
export type TrunkInput = Partial<Omit<TrunkSettings, 'options'>> & { options?: Partial<OptionsPing> };

/** Profile + overrides → validated settings. Errors name `sip.trunks.<id>.<key>`. */
export function resolveTrunk(id: string, input: TrunkInput): TrunkSettings {
  const base = `sip.trunks.${id}`;
  const profile = input.profile ?? 'generic';
  if (!(profile in PROFILES)) throw new ConfigError(`unknown trunk profile ${JSON.stringify(profile)} (generic, ocs2007, lync, teams)`, { path: `${base}.profile` });
  for (const k of Object.keys(input)) {
    if (!(k in GENERIC)) throw new ConfigError(`unknown trunk setting ${k}`, { path: `${base}.${k}` });
  }
  const preset = PROFILES[profile];
  const s: TrunkSettings = {
    ...GENERIC, ...preset, ...input, profile,
    options: { ...GENERIC.options, ...preset.options, ...input.options },
  } as TrunkSettings;
  const bad = (key: string, why: string): never => { throw new ConfigError(why, { path: `${base}.${key}` }); };
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) bad('', `trunk id ${JSON.stringify(id)} must be letters, digits, '.', '_' or '-'`);
  if (!['udp', 'tcp', 'tls'].includes(s.transport)) bad('transport', 'transport must be udp, tcp or tls');
  if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) bad('port', `bad port ${s.port}`);
  for (const a of s.addresses) {
    if (isIP(a) === 6) continue; // a bare IPv6 address (with a port it needs brackets)
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(a);
    if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) bad('addresses', `bad address ${JSON.stringify(a)} (host or IP, optional :port)`);
  }
  if (s.mutualTls && s.transport !== 'tls') bad('mutualTls', 'mutual TLS needs transport tls');
  if (s.contactFqdn !== '' && (isIP(s.contactFqdn) !== 0 || !/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(s.contactFqdn))) bad('contactFqdn', 'contactFqdn must be a fully qualified host name');
  if (!(s.options.intervalS >= 1 && s.options.intervalS <= 3600)) bad('options.intervalS', 'OPTIONS interval must be 1-3600 s');
  if (!(s.options.timeoutMs >= 100 && s.options.timeoutMs <= 60_000)) bad('options.timeoutMs', 'OPTIONS timeout must be 100-60000 ms');
  if (!(s.options.downAfter >= 1 && s.options.upAfter >= 1)) bad('options', 'downAfter and upAfter must be at least 1');
  if (!(Number.isInteger(s.maxCalls) && s.maxCalls >= 0)) bad('maxCalls', 'maxCalls must be a non-negative integer');
  if (!(s.maxCps >= 0)) bad('maxCps', 'maxCps must be non-negative');
  for (const c of s.acl) {
    const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(c);
    const v = m ? isIP(m[1] as string) : 0;
    if (!m || v === 0 || (m[2] !== undefined && Number(m[2]) > (v === 4 ? 32 : 128))) bad('acl', `bad network ${JSON.stringify(c)} (IP or CIDR)`);
  }
  if (s.codecs.length === 0) bad('codecs', 'at least one codec');
  for (const c of s.codecs) if (!CODECS.has(c)) bad('codecs', `unknown codec ${c} (${[...CODECS].join(', ')})`);
  if (!['off', 'optional', 'required'].includes(s.srtp)) bad('srtp', 'srtp must be off, optional or required');
  if (s.srtp !== 'off' && s.srtpSuites.length === 0) bad('srtpSuites', 'SRTP needs at least one suite');
  if (s.srtp === 'required' && s.transport !== 'tls') bad('srtp', 'SDES keys travel in SDP: SRTP needs transport tls');
  if (!['rfc4733', 'info', 'inband'].includes(s.dtmf)) bad('dtmf', 'dtmf must be rfc4733, info or inband');
  if (!['dtmf-relay', 'dtmf'].includes(s.dtmfInfoType)) bad('dtmfInfoType', 'dtmfInfoType must be dtmf-relay or dtmf');
  if (!['e164', 'national', 'as-is'].includes(s.numberFormat)) bad('numberFormat', 'numberFormat must be e164, national or as-is');
  if (!['local', 'pass', 'reject'].includes(s.refer)) bad('refer', 'refer must be local, pass or reject');
  if (!['default', 'rtpengine', 'native'].includes(s.mediaRelay)) bad('mediaRelay', 'mediaRelay must be default, rtpengine or native');
  if (s.authPassword !== '' && s.authUsername === '') bad('authUsername', 'authPassword without authUsername');
  if (s.inboundAuthPassword !== '' && s.inboundAuthUsername === '') bad('inboundAuthUsername', 'inboundAuthPassword without inboundAuthUsername');
  if (s.inboundAuthRealm !== '') {
    if (!/^[\x21\x23-\x5b\x5d-\x7e ]+$/.test(s.inboundAuthRealm)) bad('inboundAuthRealm', 'realm must be printable ASCII without quotes or backslashes');
    const { username, password } = inboundCredentials(s);
    if (username === '' || password === '') bad('inboundAuthRealm', 'challenging needs credentials: inboundAuthUsername/inboundAuthPassword (or authUsername/authPassword)');
  }
  return s;
}

/** The account a trunk must authenticate with when we challenge it (inbound fields, else the shared ones). */
export function inboundCredentials(s: TrunkSettings): { username: string; password: string } {
  return s.inboundAuthUsername !== ''
    ? { username: s.inboundAuthUsername, password: s.inboundAuthPassword }
    : { username: s.authUsername, password: s.authPassword };
}

/** The media options the call core hands the relay for a leg on this trunk. */
export function legMediaOptions(s: TrunkSettings): LegMediaOptions {
  const o: LegMediaOptions = {
    transport: s.srtp === 'required' ? 'RTP/SAVP' : 'RTP/AVP',
    codecs: [...s.codecs],
    symmetric: s.symmetricRtp,
    dtmf: s.dtmf,
  };
  if (s.srtp !== 'off') o.srtpSuites = [...s.srtpSuites];
  return o;
}
