// SDP parse/serialize: the RFC 4566 subset that gateways, trunks and UC servers exchange.
// Parsing is strict on structure (line order, field counts, numbers, addresses) and lenient on
// attributes it does not model (kept verbatim, in order). A bad SDP throws SdpError, which the SIP
// leg answers with 488 Not Acceptable Here.

import { isIP } from 'node:net';
import { SignalingError } from '../errors.js';

/** A malformed SDP. `line` is 1-based (0 when the problem is not on one line). */
export class SdpError extends SignalingError {
  readonly line: number;
  constructor(message: string, line: number) {
    super(line > 0 ? `SDP line ${line}: ${message}` : `SDP: ${message}`, { sipStatus: 488, q850Cause: 88 });
    this.line = line;
  }
}

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type AddrType = 'IP4' | 'IP6';

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  addrType: AddrType;
  address: string;
}

export interface SdpConnection {
  addrType: AddrType;
  address: string;
}

export interface SdpBandwidth {
  type: string;
  kbps: number;
}

/** One payload format of an RTP m= line: from a=rtpmap, or the RFC 3551 static table. */
export interface SdpCodec {
  pt: number;
  name: string;
  clockRate: number;
  /** Audio channels when the rtpmap states them. */
  channels?: number;
  fmtp?: string;
}

/** a=crypto (RFC 4568 SDES). */
export interface SdpCrypto {
  tag: number;
  suite: string;
  keyParams: string;
  sessionParams?: string;
}

/** Any attribute not modelled above, kept verbatim: `a=<name>[:<value>]`. */
export interface SdpAttribute {
  name: string;
  value?: string;
}

export interface SdpMedia {
  type: string;
  port: number;
  portCount?: number;
  proto: string;
  /** The m= line's format list, in order (payload type numbers for RTP). */
  formats: string[];
  connection?: SdpConnection;
  bandwidth: SdpBandwidth[];
  /** One entry per RTP payload type in `formats` (empty for non-RTP media such as T.38). */
  codecs: SdpCodec[];
  ptime?: number;
  maxptime?: number;
  direction?: SdpDirection;
  crypto: SdpCrypto[];
  rtcpMux: boolean;
  rtcp?: { port: number; connection?: SdpConnection };
  attributes: SdpAttribute[];
}

export interface SessionDescription {
  origin: SdpOrigin;
  sessionName: string;
  connection?: SdpConnection;
  bandwidth: SdpBandwidth[];
  timing: { start: string; stop: string };
  direction?: SdpDirection;
  attributes: SdpAttribute[];
  media: SdpMedia[];
}

/** RFC 3551 static audio payload types that may appear without a=rtpmap. */
const STATIC_PT: Record<number, { name: string; clockRate: number; channels?: number }> = {
  0: { name: 'PCMU', clockRate: 8000 },
  3: { name: 'GSM', clockRate: 8000 },
  4: { name: 'G723', clockRate: 8000 },
  5: { name: 'DVI4', clockRate: 8000 },
  6: { name: 'DVI4', clockRate: 16000 },
  7: { name: 'LPC', clockRate: 8000 },
  8: { name: 'PCMA', clockRate: 8000 },
  9: { name: 'G722', clockRate: 8000 },
  10: { name: 'L16', clockRate: 44100, channels: 2 },
  11: { name: 'L16', clockRate: 44100 },
  12: { name: 'QCELP', clockRate: 8000 },
  13: { name: 'CN', clockRate: 8000 },
  15: { name: 'G728', clockRate: 8000 },
  18: { name: 'G729', clockRate: 8000 },
  26: { name: 'JPEG', clockRate: 90000 },
  31: { name: 'H261', clockRate: 90000 },
  32: { name: 'MPV', clockRate: 90000 },
  33: { name: 'MP2T', clockRate: 90000 },
  34: { name: 'H263', clockRate: 90000 },
};

const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const MAX_SDP_BYTES = 64 * 1024;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

export function isRtpProto(proto: string): boolean {
  return /^(UDP\/TLS\/)?RTP\/S?AVPF?$/.test(proto);
}

function fail(msg: string, line: number): never {
  throw new SdpError(msg, line);
}

function uint(s: string, line: number, what: string, max = 0xffffffff): number {
  if (!/^\d{1,10}$/.test(s)) fail(`${what} is not a number: ${JSON.stringify(s)}`, line);
  const n = Number(s);
  if (n > max) fail(`${what} out of range: ${s}`, line);
  return n;
}

function parseConnection(value: string, line: number): SdpConnection {
  const f = value.split(' ');
  if (f.length !== 3) fail('c= needs "IN <addrtype> <address>"', line);
  const [net, addrType, addrField] = f as [string, string, string];
  if (net !== 'IN') fail(`unsupported network type ${net}`, line);
  if (addrType !== 'IP4' && addrType !== 'IP6') fail(`unsupported address type ${addrType}`, line);
  // Multicast TTL/count suffixes are not used by gateways; the address part is all we keep.
  const address = addrField.split('/')[0] as string;
  checkAddress(addrType, address, line);
  return { addrType, address };
}

function checkAddress(addrType: AddrType, address: string, line: number): void {
  const v = isIP(address);
  if (v === 4 && addrType === 'IP4') return;
  if (v === 6 && addrType === 'IP6') return;
  // RFC 4566 allows an FQDN; Teams and Lync send IP literals, some trunks send names.
  if (v === 0 && !/^[\d.]+$/.test(address) && /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(address)) return;
  fail(`bad ${addrType} address ${JSON.stringify(address)}`, line);
}

function newMedia(value: string, line: number): SdpMedia {
  const f = value.split(' ');
  if (f.length < 4) fail('m= needs "<media> <port> <proto> <fmt> ..."', line);
  const [type, portField, proto, ...formats] = f as [string, string, string, ...string[]];
  if (!TOKEN.test(type)) fail(`bad media type ${JSON.stringify(type)}`, line);
  const [p, count] = portField.split('/');
  const port = uint(p as string, line, 'media port', 65535);
  const m: SdpMedia = {
    type, port, proto, formats, bandwidth: [], codecs: [], crypto: [], rtcpMux: false, attributes: [],
  };
  if (count !== undefined) m.portCount = uint(count, line, 'port count', 65535);
  if (!/^[A-Za-z0-9/]+$/.test(proto)) fail(`bad transport protocol ${JSON.stringify(proto)}`, line);
  for (const fmt of formats) {
    if (!TOKEN.test(fmt)) fail(`bad format ${JSON.stringify(fmt)}`, line);
    if (isRtpProto(proto)) uint(fmt, line, 'payload type', 127);
  }
  return m;
}

interface PendingRtp {
  mLine: number;
  rtpmap: Map<number, { name: string; clockRate: number; channels?: number; line: number }>;
  fmtp: Map<number, string>;
}

function mediaAttribute(m: SdpMedia, pend: PendingRtp, name: string, value: string | undefined, line: number): void {
  const need = (): string => (value === undefined || value === '' ? fail(`a=${name} needs a value`, line) : value);
  switch (name) {
    case 'rtpmap': {
      const mm = /^(\d{1,3}) ([^/\s]+)\/(\d+)(?:\/(\d+))?$/.exec(need());
      if (!mm) fail(`bad a=rtpmap ${JSON.stringify(value)}`, line);
      const pt = uint(mm[1] as string, line, 'payload type', 127);
      if (pend.rtpmap.has(pt)) fail(`duplicate a=rtpmap for payload type ${pt}`, line);
      const e: { name: string; clockRate: number; channels?: number; line: number } = {
        name: mm[2] as string, clockRate: uint(mm[3] as string, line, 'clock rate'), line,
      };
      if (mm[4] !== undefined) e.channels = uint(mm[4], line, 'channels', 255);
      pend.rtpmap.set(pt, e);
      return;
    }
    case 'fmtp': {
      const mm = /^(\d{1,3}) (.+)$/.exec(need());
      if (!mm) fail(`bad a=fmtp ${JSON.stringify(value)}`, line);
      pend.fmtp.set(uint(mm[1] as string, line, 'payload type', 127), (mm[2] as string).trim());
      return;
    }
    case 'ptime':
      m.ptime = uint(need(), line, 'ptime', 10000);
      return;
    case 'maxptime':
      m.maxptime = uint(need(), line, 'maxptime', 10000);
      return;
    case 'crypto': {
      const mm = /^(\d{1,9}) ([A-Za-z0-9_]+) (\S+)(?: (.+))?$/.exec(need());
      if (!mm) fail(`bad a=crypto ${JSON.stringify(value)}`, line);
      const c: SdpCrypto = { tag: Number(mm[1]), suite: mm[2] as string, keyParams: mm[3] as string };
      if (mm[4] !== undefined) c.sessionParams = mm[4];
      if (m.crypto.some((x) => x.tag === c.tag)) fail(`duplicate a=crypto tag ${c.tag}`, line);
      m.crypto.push(c);
      return;
    }
    case 'rtcp-mux':
      m.rtcpMux = true;
      return;
    case 'rtcp': {
      const mm = /^(\d{1,5})(?: (.+))?$/.exec(need());
      if (!mm) fail(`bad a=rtcp ${JSON.stringify(value)}`, line);
      m.rtcp = { port: uint(mm[1] as string, line, 'rtcp port', 65535) };
      if (mm[2] !== undefined) m.rtcp.connection = parseConnection(mm[2], line);
      return;
    }
    default:
      if (DIRECTIONS.has(name) && value === undefined) {
        if (m.direction !== undefined) fail('more than one direction attribute', line);
        m.direction = name as SdpDirection;
        return;
      }
      m.attributes.push(value === undefined ? { name } : { name, value });
  }
}

function finishMedia(m: SdpMedia, pend: PendingRtp): void {
  if (!isRtpProto(m.proto)) return;
  for (const fmt of m.formats) {
    const pt = Number(fmt);
    const map = pend.rtpmap.get(pt);
    const st = STATIC_PT[pt];
    let c: SdpCodec;
    if (map) {
      c = { pt, name: map.name, clockRate: map.clockRate };
      if (map.channels !== undefined) c.channels = map.channels;
    } else if (st) {
      c = { pt, name: st.name, clockRate: st.clockRate };
      if (st.channels !== undefined) c.channels = st.channels;
    } else {
      fail(`payload type ${pt} is not static and has no a=rtpmap`, pend.mLine);
    }
    const fmtp = pend.fmtp.get(pt);
    if (fmtp !== undefined) c.fmtp = fmtp;
    m.codecs.push(c);
  }
  for (const [pt, e] of pend.rtpmap) {
    if (!m.formats.includes(String(pt))) fail(`a=rtpmap for payload type ${pt} not on the m= line`, e.line);
  }
}

/** Parses an SDP body (CRLF or LF line ends). Throws SdpError on anything malformed. */
export function parseSdp(text: string | Buffer): SessionDescription {
  const body = typeof text === 'string' ? text : text.toString('utf8');
  if (body.length > MAX_SDP_BYTES) fail(`body larger than ${MAX_SDP_BYTES} bytes`, 0);
  const lines = body.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) fail('empty body', 0);

  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  let timing: { start: string; stop: string } | undefined;
  const sess: SessionDescription = {
    origin: undefined as unknown as SdpOrigin, sessionName: '', bandwidth: [],
    timing: { start: '0', stop: '0' }, attributes: [], media: [],
  };
  let media: SdpMedia | undefined;
  let pend: PendingRtp = { mLine: 0, rtpmap: new Map(), fmtp: new Map() };
  // RFC 4566 §5 order for the session part: v o s i u e p c b t r z k a, then m sections.
  const sessionOrder = 'vosiuepcbtrzka';
  const mediaOrder = 'micbka';
  let lastRank = -1;

  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.length < 2 || raw[1] !== '=') fail(`not a "<type>=<value>" line: ${JSON.stringify(raw.slice(0, 40))}`, line);
    const type = raw[0] as string;
    const value = raw.slice(2);
    if (i === 0) {
      if (type !== 'v' || value !== '0') fail('first line must be v=0', line);
      lastRank = 0;
      return;
    }
    if (type === 'v') fail('v= may only appear first', line);
    if (type === 'm') {
      if (!origin || sessionName === undefined || !timing) fail('m= before o=, s= and t=', line);
      if (media) finishMedia(media, pend);
      media = newMedia(value, line);
      pend = { mLine: line, rtpmap: new Map(), fmtp: new Map() };
      sess.media.push(media);
      lastRank = 0;
      return;
    }
    const order = media ? mediaOrder : sessionOrder;
    const rank = order.indexOf(type);
    if (rank < 0) fail(`"${type}=" not allowed ${media ? 'in a media section' : 'at session level'}`, line);
    // r= may repeat after t=, b=/a= repeat; anything else going backwards is out of order.
    if (rank < lastRank) fail(`"${type}=" out of order`, line);
    lastRank = rank;
    switch (type) {
      case 'o': {
        if (origin) fail('duplicate o=', line);
        const f = value.split(' ');
        if (f.length !== 6) fail('o= needs 6 fields', line);
        const [username, sessionId, sessionVersion, net, addrType, address] = f as [string, string, string, string, string, string];
        if (!/^\d+$/.test(sessionId) || !/^\d+$/.test(sessionVersion)) fail('o= session id and version must be numeric', line);
        if (net !== 'IN') fail(`unsupported network type ${net}`, line);
        if (addrType !== 'IP4' && addrType !== 'IP6') fail(`unsupported address type ${addrType}`, line);
        checkAddress(addrType, address, line);
        origin = { username, sessionId, sessionVersion, addrType, address };
        return;
      }
      case 's':
        if (sessionName !== undefined) fail('duplicate s=', line);
        sessionName = value;
        return;
      case 'c': {
        const c = parseConnection(value, line);
        if (media) {
          if (media.connection) fail('duplicate c= in media section', line);
          media.connection = c;
        } else {
          if (sess.connection) fail('duplicate c=', line);
          sess.connection = c;
        }
        return;
      }
      case 'b': {
        const mm = /^([A-Za-z0-9-]+):(\d{1,10})$/.exec(value);
        if (!mm) fail(`bad b= ${JSON.stringify(value)}`, line);
        (media ? media.bandwidth : sess.bandwidth).push({ type: mm[1] as string, kbps: Number(mm[2]) });
        return;
      }
      case 't': {
        if (timing) fail('more than one t= is not supported', line);
        const mm = /^(\d+) (\d+)$/.exec(value);
        if (!mm) fail('t= needs "<start> <stop>"', line);
        timing = { start: mm[1] as string, stop: mm[2] as string };
        return;
      }
      case 'a': {
        const colon = value.indexOf(':');
        const name = colon < 0 ? value : value.slice(0, colon);
        const aval = colon < 0 ? undefined : value.slice(colon + 1);
        if (!TOKEN.test(name)) fail(`bad attribute name ${JSON.stringify(name)}`, line);
        if (media) {
          mediaAttribute(media, pend, name, aval, line);
        } else if (DIRECTIONS.has(name) && aval === undefined) {
          if (sess.direction !== undefined) fail('more than one session direction attribute', line);
          sess.direction = name as SdpDirection;
        } else {
          sess.attributes.push(aval === undefined ? { name } : { name, value: aval });
        }
        return;
      }
      default:
        // i= u= e= p= r= z= k=: informational or obsolete; gateways drop them.
        return;
    }
  });
  if (media) finishMedia(media, pend);
  if (!origin) fail('missing o=', 0);
  if (sessionName === undefined) fail('missing s=', 0);
  if (!timing) fail('missing t=', 0);
  sess.origin = origin;
  sess.sessionName = sessionName;
  sess.timing = timing;
  sess.media.forEach((m, i) => {
    if (!m.connection && !sess.connection && m.port !== 0) fail(`media section ${i + 1} has no c= and there is no session c=`, 0);
  });
  return sess;
}

function connLine(c: SdpConnection): string {
  return `c=IN ${c.addrType} ${c.address}`;
}

function attrLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

/** Serializes to CRLF-terminated text in RFC 4566 order. Modelled attributes come first per media. */
export function serializeSdp(s: SessionDescription): string {
  const out: string[] = ['v=0'];
  const o = s.origin;
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} IN ${o.addrType} ${o.address}`);
  out.push(`s=${s.sessionName === '' ? '-' : s.sessionName}`);
  if (s.connection) out.push(connLine(s.connection));
  for (const b of s.bandwidth) out.push(`b=${b.type}:${b.kbps}`);
  out.push(`t=${s.timing.start} ${s.timing.stop}`);
  if (s.direction) out.push(`a=${s.direction}`);
  for (const a of s.attributes) out.push(attrLine(a));
  for (const m of s.media) {
    const port = m.portCount !== undefined ? `${m.port}/${m.portCount}` : String(m.port);
    out.push(`m=${m.type} ${port} ${m.proto} ${m.formats.join(' ')}`);
    if (m.connection) out.push(connLine(m.connection));
    for (const b of m.bandwidth) out.push(`b=${b.type}:${b.kbps}`);
    for (const c of m.codecs) {
      // Static payload types keep an explicit rtpmap: harmless and clearer to peers.
      out.push(`a=rtpmap:${c.pt} ${c.name}/${c.clockRate}${c.channels !== undefined ? `/${c.channels}` : ''}`);
      if (c.fmtp !== undefined) out.push(`a=fmtp:${c.pt} ${c.fmtp}`);
    }
    if (m.ptime !== undefined) out.push(`a=ptime:${m.ptime}`);
    if (m.maxptime !== undefined) out.push(`a=maxptime:${m.maxptime}`);
    for (const c of m.crypto) {
      out.push(`a=crypto:${c.tag} ${c.suite} ${c.keyParams}${c.sessionParams !== undefined ? ` ${c.sessionParams}` : ''}`);
    }
    if (m.rtcp) out.push(`a=rtcp:${m.rtcp.port}${m.rtcp.connection ? ` IN ${m.rtcp.connection.addrType} ${m.rtcp.connection.address}` : ''}`);
    if (m.rtcpMux) out.push('a=rtcp-mux');
    for (const a of m.attributes) out.push(attrLine(a));
    if (m.direction) out.push(`a=${m.direction}`);
  }
  return out.join('\r\n') + '\r\n';
}

/** The direction in effect for a media section (media level overrides session level). */
export function mediaDirection(s: SessionDescription, m: SdpMedia): SdpDirection {
  return m.direction ?? s.direction ?? 'sendrecv';
}

/** Where RTP for a media section goes: its c= or the session c=. */
export function mediaAddress(s: SessionDescription, m: SdpMedia): string | undefined {
  return (m.connection ?? s.connection)?.address;
}

/** The first audio section, the one a voice gateway negotiates. */
export function audioMedia(s: SessionDescription): SdpMedia | undefined {
  return s.media.find((m) => m.type === 'audio' && m.port !== 0);
}

/** Codec names of the first audio section in preference order, e.g. ['PCMU', 'telephone-event']. */
export function audioCodecNames(s: SessionDescription): string[] {
  return audioMedia(s)?.codecs.map((c) => c.name) ?? [];
}
