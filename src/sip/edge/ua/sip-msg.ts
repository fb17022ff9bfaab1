// A compact SIP message model for the UA layer: ordered headers with original names, compact
// forms expanded, byte-correct Content-Length on output. An adapter kept in ua/ because the
// UA needs header-level editing (tags, Via, Contact) while building drachtio's exact echo.
// TODO(next): switch the parse entry to src/sip/edge/message/ (sip-wire) once its API lands.

import { SignalingError } from '../../../errors.js';

const COMPACT: Record<string, string> = {
  i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type',
  e: 'content-encoding', k: 'supported', s: 'subject', o: 'event', r: 'refer-to', b: 'referred-by',
  u: 'allow-events', x: 'session-expires', a: 'accept-contact', j: 'reject-contact',
  d: 'request-disposition', y: 'identity', n: 'identity-info',
};

const CANON = new Map<string, string>();
const CANON_MAX = 2048;

/** Canonical lower-case name of a header (compact forms expanded; common names memoised). */
export function canonName(name: string): string {
  const hit = CANON.get(name);
  if (hit !== undefined) return hit;
  const n = name.trim().toLowerCase();
  const c = COMPACT[n] ?? n;
  if (CANON.size < CANON_MAX) CANON.set(name, c);
  return c;
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

export class SipMsg {
  method = '';
  uri = '';
  status = 0;
  reason = '';
  headers: Array<[string, string]> = [];
  body = '';

  get isRequest(): boolean {
    return this.status === 0;
  }

  static request(method: string, uri: string): SipMsg {
    const m = new SipMsg();
    m.method = method;
    m.uri = uri;
    return m;
  }

  static response(status: number, reason: string): SipMsg {
    const m = new SipMsg();
    m.status = status;
    m.reason = reason;
    return m;
  }

  /** Parses one complete message; throws SignalingError on bad syntax. */
  static parse(text: string): SipMsg {
    const sep = text.indexOf('\r\n\r\n');
    const head = sep < 0 ? text.replace(/(\r\n)+$/, '') : text.slice(0, sep);
    const rest = sep < 0 ? '' : text.slice(sep + 4);
    const lines = head.split('\r\n');
    while (lines.length > 0 && lines[0] === '') lines.shift();
    const start = lines.shift();
    if (!start) throw new SignalingError('empty SIP message', { sipStatus: 400 });
    const m = new SipMsg();
    let sm: RegExpExecArray | null;
    if ((sm = /^SIP\/2\.0 (\d{3})(?: (.*))?$/.exec(start))) {
      m.status = Number(sm[1]);
      m.reason = sm[2] ?? '';
      if (m.status < 100) throw new SignalingError('bad status code', { sipStatus: 400 });
    } else if ((sm = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/.exec(start))) {
      m.method = sm[1].toUpperCase();
      m.uri = sm[2];
    } else {
      throw new SignalingError(`bad start line: ${start.slice(0, 80)}`, { sipStatus: 400 });
    }
    for (const line of lines) {
      if (line === '') continue;
      if ((line[0] === ' ' || line[0] === '\t') && m.headers.length > 0) {
        const last = m.headers[m.headers.length - 1];
        last[1] = `${last[1]} ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new SignalingError(`bad header line: ${line.slice(0, 80)}`, { sipStatus: 400 });
      const name = line.slice(0, colon).trim();
      if (!isToken(name)) throw new SignalingError(`bad header name: ${name.slice(0, 40)}`, { sipStatus: 400 });
      m.headers.push([name, line.slice(colon + 1).trim()]);
    }
    const cl = m.get('content-length');
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new SignalingError('bad Content-Length', { sipStatus: 400 });
      const n = Number(cl);
      const bytes = Buffer.from(rest, 'utf8');
      if (bytes.length < n) throw new SignalingError('body shorter than Content-Length', { sipStatus: 400 });
      m.body = bytes.subarray(0, n).toString('utf8');
    } else {
      m.body = rest;
    }
    return m;
  }

  get(name: string): string | undefined {
    const c = canonName(name);
    for (const [n, v] of this.headers) if (canonName(n) === c) return v;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every header line value of a name (not split on commas). */
  getAll(name: string): string[] {
    const c = canonName(name);
    return this.headers.filter(([n]) => canonName(n) === c).map(([, v]) => v);
  }

  /** Every comma-separated value of a multi-value header, in order. */
  getValues(name: string): string[] {
    return this.getAll(name).flatMap((v) => splitCommas(v));
  }

  remove(name: string): void {
    const c = canonName(name);
    this.headers = this.headers.filter(([n]) => canonName(n) !== c);
  }

  /** Replaces every line of a header with one value, keeping the first line's position. */
  set(name: string, value: string): void {
    const c = canonName(name);
    const i = this.headers.findIndex(([n]) => canonName(n) === c);
    if (i < 0) {
      this.headers.push([name, value]);
      return;
    }
    this.headers[i] = [this.headers[i][0], value];
    this.headers = this.headers.filter(([n], k) => k === i || canonName(n) !== c);
  }

  add(name: string, value: string): void {
    this.headers.push([name, value]);
  }

  prepend(name: string, value: string): void {
    this.headers.unshift([name, value]);
  }

  get callId(): string {
    return this.get('call-id') ?? '';
  }

  get cseq(): { seq: number; method: string } {
    const v = this.get('cseq') ?? '';
    const m = /^(\d+)\s+(\S+)/.exec(v);
    return m ? { seq: Number(m[1]), method: m[2].toUpperCase() } : { seq: 0, method: '' };
  }

  startLine(): string {
    return this.isRequest ? `${this.method} ${this.uri} SIP/2.0` : `SIP/2.0 ${this.status} ${this.reason}`;
  }

  /** Serialises with a Content-Length computed in bytes, placed last. */
  toString(): string {
    const lines = [this.startLine()];
    for (const [n, v] of this.headers) if (canonName(n) !== 'content-length') lines.push(`${n}: ${v}`);
    lines.push(`Content-Length: ${Buffer.byteLength(this.body, 'utf8')}`);
    return `${lines.join('\r\n')}\r\n\r\n${this.body}`;
  }

  clone(): SipMsg {
    const m = new SipMsg();
    m.method = this.method;
    m.uri = this.uri;
    m.status = this.status;
    m.reason = this.reason;
    m.headers = this.headers.map(([n, v]) => [n, v]);
    m.body = this.body;
    return m;
  }
}

/** Splits a header value on commas outside quotes and angle brackets. */
export function splitCommas(v: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (quoted) {
      if (ch === '\\' && i + 1 < v.length) {
        cur += ch + v[++i];
        continue;
      }
      if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>') depth--;
    else if (ch === ',' && depth === 0) {
      if (cur.trim() !== '') out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** The URI inside a name-addr (`"x" <sip:a@b>;tag=1` → `sip:a@b`) or addr-spec. */
export function addrUri(v: string): string {
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    return v.slice(lt + 1, gt < 0 ? undefined : gt).trim();
  }
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim();
}

/** A header parameter outside the URI (e.g. `tag`), or undefined. */
export function headerParam(v: string, name: string): string | undefined {
  const gt = v.lastIndexOf('>');
  const params = gt >= 0 ? v.slice(gt + 1) : v.slice(v.indexOf(';') < 0 ? v.length : v.indexOf(';'));
  for (const p of params.split(';')) {
    const eq = p.indexOf('=');
    const k = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (k === name.toLowerCase()) return eq < 0 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

export function getTag(v: string | undefined): string | undefined {
  return v === undefined ? undefined : headerParam(v, 'tag');
}

/**
 * Writes an address header value in name-addr form (`sip:a@b;x=y` → `<sip:a@b>;x=y`), as
 * sofia-sip (and so drachtio) always prints From/To/Contact. Parameters after a bare addr-spec
 * are header parameters (RFC 3261 §20.10).
 */
export function toNameAddr(v: string): string {
  const t = v.trim();
  if (t === '*' || t.includes('<')) return t;
  const semi = t.indexOf(';');
  return semi < 0 ? `<${t}>` : `<${t.slice(0, semi)}>${t.slice(semi)}`;
}

/** Adds `;tag=` to a From/To value, wrapping a bare addr-spec with params in angle brackets. */
export function withTag(v: string, tag: string): string {
  if (getTag(v) !== undefined) return v;
  if (v.indexOf('<') < 0 && v.indexOf(';') >= 0) return `<${v.trim()}>;tag=${tag}`;
  return `${v};tag=${tag}`;
}

export interface SipUri {
  scheme: string;
  user: string;
  host: string;
  port: number | undefined;
  params: Map<string, string>;
}

export function parseUri(s: string): SipUri | undefined {
  const m = /^(sips?):(?:([^@]*)@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?([^?]*)/i.exec(s.trim());
  if (!m) return undefined;
  const params = new Map<string, string>();
  for (const p of (m[5] ?? '').split(';')) {
    if (!p) continue;
    const eq = p.indexOf('=');
    params.set((eq < 0 ? p : p.slice(0, eq)).toLowerCase(), eq < 0 ? '' : p.slice(eq + 1));
  }
  return { scheme: m[1].toLowerCase(), user: m[2] ?? '', host: m[3], port: m[4] ? Number(m[4]) : undefined, params };
}

export interface ViaInfo {
  proto: string;
  host: string;
  port: number | undefined;
  branch: string;
  params: Map<string, string>;
}

export function parseVia(v: string): ViaInfo | undefined {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^:;\s]+)(?::(\d+))?\s*(.*)$/i.exec(v.trim());
  if (!m) return undefined;
  const params = new Map<string, string>();
  for (const p of m[4].split(';')) {
    const t = p.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    params.set((eq < 0 ? t : t.slice(0, eq)).toLowerCase(), eq < 0 ? '' : t.slice(eq + 1));
  }
  return { proto: m[1].toUpperCase(), host: m[2], port: m[3] ? Number(m[3]) : undefined, branch: params.get('branch') ?? '', params };
}
