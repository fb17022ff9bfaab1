// SIP, SIPS and TEL URIs (RFC 3261 §19.1, RFC 3966); other schemes are kept opaque.
import { syntaxError } from './errors.js';
import { HCHAR, HOST, PARAMCHAR, PASSWORD, TELCHAR, USER, allIn, escapesValid } from './chars.js';
import { Params } from './params.js';

/** A parsed URI. Text fields keep their %-escapes as on the wire. */
export class SipUri {
  /** Lower-case scheme: 'sip', 'sips', 'tel' or another (then only `opaque` is set). */
  scheme: string;
  /** User part (sip/sips), or the number (tel). */
  user: string | undefined;
  password: string | undefined;
  /** Host as written; an IPv6 literal keeps its brackets. Empty for tel and opaque URIs. */
  host: string;
  port: number | undefined;
  params: Params;
  /** URI headers (`?name=value&...`), sip/sips only. */
  headers: Params;
  /** Everything after `scheme:` for schemes other than sip/sips/tel. */
  opaque: string | undefined;

  constructor(init: Partial<Omit<SipUri, 'toString' | 'clone'>> & { scheme?: string } = {}) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user;
    this.password = init.password;
    this.host = init.host ?? '';
    this.port = init.port;
    this.params = init.params ?? new Params();
    this.headers = init.headers ?? new Params();
    this.opaque = init.opaque;
  }

  /** True for sip: and sips: URIs. */
  get isSip(): boolean {
    return this.scheme === 'sip' || this.scheme === 'sips';
  }

  /** Host without IPv6 brackets, for socket and resolver calls. */
  get hostname(): string {
    const h = this.host;
    return h.charCodeAt(0) === 0x5b ? h.slice(1, -1) : h;
  }

  clone(): SipUri {
    return new SipUri({
      scheme: this.scheme,
      user: this.user,
      password: this.password,
      host: this.host,
      port: this.port,
      params: this.params.clone(),
      headers: this.headers.clone(),
      opaque: this.opaque,
    });
  }

  toString(): string {
    if (this.opaque !== undefined) return this.scheme + ':' + this.opaque;
    let s = this.scheme + ':';
    if (this.scheme === 'tel') return s + (this.user ?? '') + this.params.toString();
    if (this.user !== undefined) {
      s += this.user;
      if (this.password !== undefined) s += ':' + this.password;
      s += '@';
    }
    s += this.host;
    if (this.port !== undefined) s += ':' + this.port;
    s += this.params.toString();
    if (this.headers.size > 0) s += '?' + this.headers.toString('&').slice(1);
    return s;
  }
}

/** Parses a URI; throws SipParseError (reason 'header-value') when it is malformed. */
export function parseUri(s: string): SipUri {
  return readUri(s, 0, s.length);
}

/** Parses the URI in s[from, to). */
export function readUri(s: string, from: number, to: number): SipUri {
  let i = from;
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const c0 = s.charCodeAt(i) | 0x20;
  if (!(c0 >= 0x61 && c0 <= 0x7a)) throw syntaxError(`not a URI: "${s.slice(from, to)}"`);
  while (i < to) {
    const c = s.charCodeAt(i);
    if (c === 0x3a) break;
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) {
      throw syntaxError(`bad URI scheme in "${s.slice(from, to)}"`);
    }
    i++;
  }
  if (i >= to) throw syntaxError(`not a URI: "${s.slice(from, to)}"`);
  const scheme = s.slice(from, i).toLowerCase();
  i++;
  if (scheme === 'sip' || scheme === 'sips') return readSipUri(s, scheme, i, to);
  if (scheme === 'tel') return readTelUri(s, i, to);
  for (let k = i; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) {
      throw syntaxError(`bad character in URI "${s.slice(from, to)}"`);
    }
  }
  if (i === to) throw syntaxError(`empty ${scheme} URI`);
  return new SipUri({ scheme, opaque: s.slice(i, to) });
}

function readSipUri(s: string, scheme: string, i: number, to: number): SipUri {
  const u = new SipUri({ scheme });
  // userinfo: '@' never appears unescaped after it, so the first '@' ends it.
  const at = s.indexOf('@', i);
  if (at >= 0 && at < to) {
    let colon = s.indexOf(':', i);
    if (colon < 0 || colon > at) colon = at;
    if (colon === i) throw syntaxError('empty user part in URI');
    if (!allIn(s, i, colon, USER) || !escapesValid(s, i, colon)) {
      throw syntaxError(`bad user part "${s.slice(i, colon)}"`);
    }
    u.user = s.slice(i, colon);
    if (colon < at) {
      if (!allIn(s, colon + 1, at, PASSWORD) || !escapesValid(s, colon + 1, at)) {
        throw syntaxError('bad password in URI');
      }
      u.password = s.slice(colon + 1, at);
    }
    i = at + 1;
  }
  // hostport
  const hs = i;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0 || close >= to) throw syntaxError('unterminated IPv6 reference');
    for (let k = i + 1; k < close; k++) {
      const c = s.charCodeAt(k) | 0x20;
      if (!((c >= 0x30 && c <= 0x3a) || (c >= 0x61 && c <= 0x66) || c === 0x2e)) throw syntaxError('bad IPv6 reference');
    }
    i = close + 1;
  } else {
    while (i < to) {
      const c = s.charCodeAt(i);
      if (c >= 128 || HOST[c] === 0) break;
      i++;
    }
  }
  if (i === hs) throw syntaxError(`missing host in "${s.slice(hs - 1, to)}"`);
  u.host = s.slice(hs, i);
  if (i < to && s.charCodeAt(i) === 0x3a) {
    i++;
    const ps = i;
    let port = 0;
    while (i < to) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      port = port * 10 + (c - 0x30);
      i++;
    }
    if (i === ps || i - ps > 5 || port > 65535) throw syntaxError('bad port in URI');
    u.port = port;
  }
  // uri-parameters
  while (i < to && s.charCodeAt(i) === 0x3b) {
    i++;
    const ns = i;
    while (i < to) {
      const c = s.charCodeAt(i);
      if (c >= 128 || PARAMCHAR[c] === 0) break;
      i++;
    }
    if (i === ns) throw syntaxError('empty URI parameter');
    const name = s.slice(ns, i);
    let value: string | null = null;
    if (i < to && s.charCodeAt(i) === 0x3d) {
      i++;
      const vs = i;
      while (i < to) {
        const c = s.charCodeAt(i);
        if (c >= 128 || PARAMCHAR[c] === 0) break;
        i++;
      }
      if (i === vs) throw syntaxError(`URI parameter ${name} has an empty value`);
      value = s.slice(vs, i);
    }
    if (!escapesValid(name, 0, name.length) || (value !== null && !escapesValid(value, 0, value.length))) {
      throw syntaxError('bad escape in URI parameter');
    }
    u.params.list.push({ name, value });
  }
  // headers
  if (i < to && s.charCodeAt(i) === 0x3f /* ? */) {
    i++;
    for (;;) {
      const ns = i;
      while (i < to && s.charCodeAt(i) !== 0x3d && s.charCodeAt(i) !== 0x26) i++;
      const name = s.slice(ns, i);
      if (name.length === 0 || !allIn(name, 0, name.length, HCHAR)) throw syntaxError('bad URI header name');
      if (i >= to || s.charCodeAt(i) !== 0x3d) throw syntaxError('URI header without a value');
      i++;
      const vs = i;
      while (i < to && s.charCodeAt(i) !== 0x26) i++;
      const value = s.slice(vs, i);
      if (!allIn(value, 0, value.length, HCHAR) || !escapesValid(value, 0, value.length)) {
        throw syntaxError('bad URI header value');
      }
      u.headers.list.push({ name, value });
      if (i >= to) break;
      i++;
    }
  }
  if (i !== to) throw syntaxError(`unexpected "${s.slice(i, to)}" in URI`);
  return u;
}

function readTelUri(s: string, i: number, to: number): SipUri {
  const ns = i;
  while (i < to && s.charCodeAt(i) !== 0x3b) i++;
  if (i === ns || !allIn(s, ns, i, TELCHAR)) throw syntaxError(`bad tel number "${s.slice(ns, i)}"`);
  const u = new SipUri({ scheme: 'tel', user: s.slice(ns, i) });
  while (i < to) {
    i++;
    const ps = i;
    while (i < to && s.charCodeAt(i) !== 0x3b) i++;
    const eq = s.indexOf('=', ps);
    const hasEq = eq >= 0 && eq < i;
    const name = s.slice(ps, hasEq ? eq : i);
    const value = hasEq ? s.slice(eq + 1, i) : null;
    if (name.length === 0 || !allIn(name, 0, name.length, PARAMCHAR)) throw syntaxError('bad tel parameter');
    if (value !== null && (value.length === 0 || !allIn(value, 0, value.length, PARAMCHAR))) {
      throw syntaxError('bad tel parameter value');
    }
    u.params.list.push({ name, value });
  }
  return u;
}
