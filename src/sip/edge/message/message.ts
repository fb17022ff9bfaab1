// The SIP message model: ordered header fields as text, with parsed views of the headers
// the stack works with (Via, From, To, Call-ID, CSeq, Contact, Route, ...) cached on demand.
// Parsed views are snapshots: to change a header, set its text (e.g. `msg.set('To', to.toString())`).
import { SipParseError, syntaxError } from './errors.js';
import { LIST_HEADERS, headerKey, splitList, type SipHeader } from './headers.js';
import { NameAddr, readNameAddr } from './name-addr.js';
import { SipUri } from './uri.js';
import { Via, readVia } from './via.js';

const EMPTY = Buffer.alloc(0);

/** CSeq: sequence number and method. */
export class CSeq {
  constructor(
    public seq: number,
    public method: string,
  ) {}
  toString(): string {
    return this.seq + ' ' + this.method;
  }
}

/** Parses `1*DIGIT LWS Method`; the number must be below 2^31 (RFC 3261 §8.1.1.5). */
export function parseCSeq(s: string): CSeq {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  const ds = i;
  let n = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    if (n >= 0x80000000) throw syntaxError('CSeq number too large', 'CSeq');
    i++;
  }
  if (i === ds) throw syntaxError('CSeq without a number', 'CSeq');
  const ws = i;
  while (i < s.length && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  const method = s.slice(i).trimEnd();
  if (i === ws || method.length === 0 || !isMethod(method)) throw syntaxError('bad CSeq method', 'CSeq');
  return new CSeq(n, method);
}

function isMethod(m: string): boolean {
  for (let i = 0; i < m.length; i++) {
    const c = m.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || '()<>@,;:\\"/[]?={}'.includes(m[i])) return false;
  }
  return true;
}

/** What every request and response has. */
export abstract class SipMessage {
  abstract readonly isRequest: boolean;
  /** Header fields in wire order. Mutate through set/add/prepend/remove so caches stay right. */
  headers: SipHeader[] = [];
  /** Body bytes (Content-Length is recomputed from this when serialising). */
  body: Buffer = EMPTY;
  /** The bytes this message was parsed from (unset for messages built in code). */
  raw: Buffer | undefined;
  private cache: Map<string, unknown> | undefined;

  /** First value of a header (the first list element for list headers), or undefined. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const h of this.headers) {
      if (h.key === key) return LIST_HEADERS.has(key) ? firstListItem(h.value) : h.value;
    }
    return undefined;
  }

  /** All values of a header, list headers split at top-level commas. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const list = LIST_HEADERS.has(key);
    const out: string[] = [];
    for (const h of this.headers) {
      if (h.key !== key) continue;
      if (list) for (const v of splitList(h.value)) out.push(v);
      else out.push(h.value);
    }
    return out;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    for (const h of this.headers) if (h.key === key) return true;
    return false;
  }

  /** Replaces every field of this header with one field (kept at the first one's position). */
  set(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    const v = String(value);
    let at = -1;
    for (let i = this.headers.length - 1; i >= 0; i--) {
      if (this.headers[i].key === key) {
        this.headers.splice(i, 1);
        at = i;
      }
    }
    const h = { name, key, value: v };
    if (at < 0) this.headers.push(h);
    else this.headers.splice(at, 0, h);
    this.cache?.delete(key);
    return this;
  }

  /** Appends a field after the existing ones of the same header (or at the end). */
  add(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    let at = -1;
    for (let i = 0; i < this.headers.length; i++) if (this.headers[i].key === key) at = i;
    const h = { name, key, value: String(value) };
    if (at < 0) this.headers.push(h);
    else this.headers.splice(at + 1, 0, h);
    this.cache?.delete(key);
    return this;
  }

  /** Inserts a field before the existing ones of the same header (a new top Via, Route, ...). */
  prepend(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    let at = this.headers.findIndex((h) => h.key === key);
    if (at < 0) at = this.headers.length;
    this.headers.splice(at, 0, { name, key, value: String(value) });
    this.cache?.delete(key);
    return this;
  }

  /** Removes every field of this header; returns how many were removed. */
  remove(name: string): number {
    const key = headerKey(name);
    const before = this.headers.length;
    this.headers = this.headers.filter((h) => h.key !== key);
    this.cache?.delete(key);
    return before - this.headers.length;
  }

  /** Removes the first list element of a header (the top Via when a proxy forwards a response). */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    if (i < 0) return undefined;
    const items = splitList(this.headers[i].value);
    const first = items.shift();
    if (items.length === 0) this.headers.splice(i, 1);
    else this.headers[i] = { ...this.headers[i], value: items.join(', ') };
    this.cache?.delete(key);
    return first;
  }

  private cached<T>(key: string, make: () => T): T {
    if (this.cache === undefined) this.cache = new Map();
    let v = this.cache.get(key) as T | undefined;
    if (v === undefined) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  /**
   * Drops the cached parsed views (they are rebuilt on the next access). Transactions call this
   * when they only hold a message for retransmission, which roughly halves what it retains.
   */
  compact(): void {
    this.cache = undefined;
  }

  /** Stores a parsed view (used by the parser, which validates these headers anyway). */
  setCached(key: string, value: unknown): void {
    if (this.cache === undefined) this.cache = new Map();
    this.cache.set(key, value);
  }

  /** All Via values, top first. */
  get vias(): Via[] {
    return this.cached('via', () => this.getAll('via').map((v) => readVia(v, 0, v.length)));
  }

  get topVia(): Via | undefined {
    return this.vias[0];
  }

  get from(): NameAddr {
    return this.cached('from', () => parseNameAddrText(this.required('from')));
  }

  get to(): NameAddr {
    return this.cached('to', () => parseNameAddrText(this.required('to')));
  }

  get callId(): string {
    return this.required('call-id');
  }

  get cseq(): CSeq {
    return this.cached('cseq', () => parseCSeq(this.required('cseq')));
  }

  /** Contact values; empty for none and for `Contact: *` (see `isStarContact`). */
  get contacts(): NameAddr[] {
    return this.nameAddrs('contact');
  }

  get isStarContact(): boolean {
    const c = this.get('contact');
    return c !== undefined && c.trim() === '*';
  }

  /** Parsed values of a name-addr list header (Route, Record-Route, Path, ...). */
  nameAddrs(name: string): NameAddr[] {
    const key = headerKey(name);
    return this.cached(key, () => {
      const out: NameAddr[] = [];
      for (const v of this.getAll(key)) {
        if (key === 'contact' && v === '*') continue;
        out.push(readNameAddr(v, 0, v.length));
      }
      return out;
    });
  }

  /** Max-Forwards, or undefined when absent. */
  get maxForwards(): number | undefined {
    const v = this.get('max-forwards');
    return v === undefined ? undefined : Number(v);
  }

  /** Lower-case media type without parameters, or undefined. */
  get contentType(): string | undefined {
    const v = this.get('content-type');
    if (v === undefined) return undefined;
    const semi = v.indexOf(';');
    return (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  }

  private required(key: string): string {
    const v = this.get(key);
    if (v === undefined) throw new SipParseError(`missing ${key} header`, 'missing-header', { header: key, isRequest: this.isRequest });
    return v;
  }
}

/** A SIP request. */
export class SipRequest extends SipMessage {
  readonly isRequest = true as const;
  method: string;
  uri: SipUri;
  constructor(method: string, uri: SipUri) {
    super();
    this.method = method;
    this.uri = uri;
  }

  /** A copy with its own header list (header values and body bytes are shared, both immutable here). */
  clone(): SipRequest {
    const c = new SipRequest(this.method, this.uri.clone());
    c.headers = this.headers.map((h) => ({ name: h.name, key: h.key, value: h.value }));
    c.body = this.body;
    return c;
  }
}

/** A SIP response. */
export class SipResponse extends SipMessage {
  readonly isRequest = false as const;
  status: number;
  reason: string;
  constructor(status: number, reason: string) {
    super();
    this.status = status;
    this.reason = reason;
  }

  /** A copy with its own header list (header values and body bytes are shared). */
  clone(): SipResponse {
    const c = new SipResponse(this.status, this.reason);
    c.headers = this.headers.map((h) => ({ name: h.name, key: h.key, value: h.value }));
    c.body = this.body;
    return c;
  }
}

/** Either kind; narrow with `isRequest`. */
export type AnySipMessage = SipRequest | SipResponse;

function firstListItem(v: string): string {
  if (v.indexOf(',') < 0) return v;
  return splitList(v)[0];
}

function parseNameAddrText(v: string): NameAddr {
  return readNameAddr(v, 0, v.length);
}
