// Via header values (RFC 3261 §20.42, §18.2.1 received/rport from RFC 3581).
import { syntaxError } from './errors.js';
import { HOST, TOKEN, skipWs, trimEnd } from './chars.js';
import { Params, parseHeaderParams } from './params.js';

/** The branch prefix of RFC 3261 transactions. */
export const BRANCH_COOKIE = 'z9hG4bK';

/** One Via value: `SIP/2.0/UDP host:port;branch=...`. */
export class Via {
  /** `SIP/2.0` (protocol name and version, as written). */
  protocol: string;
  /** Upper-case transport: UDP, TCP, TLS, SCTP, WS, WSS or another token. */
  transport: string;
  /** sent-by host as written (IPv6 in brackets). */
  host: string;
  port: number | undefined;
  params: Params;

  constructor(transport: string, host: string, port?: number, params: Params = new Params(), protocol = 'SIP/2.0') {
    this.protocol = protocol;
    this.transport = transport.toUpperCase();
    this.host = host;
    this.port = port;
    this.params = params;
  }

  get branch(): string | undefined {
    const b = this.params.get('branch');
    return b === null ? undefined : b;
  }

  get received(): string | undefined {
    const r = this.params.get('received');
    return r === null ? undefined : r;
  }

  /** rport: a number when filled in, null when present without value, undefined when absent. */
  get rport(): number | null | undefined {
    const r = this.params.get('rport');
    if (r === undefined || r === null) return r;
    return Number(r);
  }

  /** Host without IPv6 brackets. */
  get hostname(): string {
    const h = this.host;
    return h.charCodeAt(0) === 0x5b ? h.slice(1, -1) : h;
  }

  clone(): Via {
    return new Via(this.transport, this.host, this.port, this.params.clone(), this.protocol);
  }

  toString(): string {
    return (
      this.protocol + '/' + this.transport + ' ' + this.host + (this.port === undefined ? '' : ':' + this.port) + this.params.toString()
    );
  }
}

/** Parses one Via value (not a comma list); throws SipParseError when malformed. */
export function parseVia(s: string): Via {
  return readVia(s, 0, s.length);
}

export function readVia(s: string, from: number, to: number): Via {
  let i = skipWs(s, from, to);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (s.charCodeAt(i) !== 0x2f) throw syntaxError('bad Via sent-protocol');
      i = skipWs(s, i + 1, to);
    }
    const ts = i;
    while (i < to && s.charCodeAt(i) < 128 && TOKEN[s.charCodeAt(i)] === 1) i++;
    if (i === ts) throw syntaxError('bad Via sent-protocol');
    parts.push(s.slice(ts, i));
    i = skipWs(s, i, to);
  }
  const hs = i;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0 || close >= to) throw syntaxError('unterminated IPv6 reference in Via');
    i = close + 1;
  } else {
    while (i < to && s.charCodeAt(i) < 128 && HOST[s.charCodeAt(i)] === 1) i++;
  }
  if (i === hs) throw syntaxError('missing Via sent-by host');
  const host = s.slice(hs, i);
  i = skipWs(s, i, to);
  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a) {
    i = skipWs(s, i + 1, to);
    const ps = i;
    let p = 0;
    while (i < to && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) p = p * 10 + s.charCodeAt(i++) - 0x30;
    if (i === ps || i - ps > 5 || p > 65535) throw syntaxError('bad Via port');
    port = p;
  }
  const via = new Via(parts[2], host, port, new Params(), parts[0] + '/' + parts[1]);
  parseHeaderParams(s, i, trimEnd(s, i, to), via.params);
  const rport = via.params.get('rport');
  if (rport !== undefined && rport !== null && !/^\d{1,5}$/.test(rport)) throw syntaxError('bad Via rport');
  const ttl = via.params.get('ttl');
  if (ttl !== undefined && (ttl === null || !/^\d{1,3}$/.test(ttl) || Number(ttl) > 255)) throw syntaxError('bad Via ttl');
  if (via.params.get('branch') === null) throw syntaxError('Via branch without a value');
  return via;
}
