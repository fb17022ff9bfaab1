// Ordered, case-insensitive parameter lists: URI parameters, URI headers, and the
// header parameters after a name-addr, Via or media type.
import { syntaxError } from './errors.js';
import { TOKEN, isWsp, skipWs } from './chars.js';

/** One parameter: `name` as written, `value` null for a flag parameter (`;lr`). */
export interface Param {
  name: string;
  value: string | null;
}

/** An ordered parameter list; lookups ignore the case of names. */
export class Params {
  readonly list: Param[];

  constructor(list: Param[] = []) {
    this.list = list;
  }

  /** Value of the first parameter named `name`; null for a flag; undefined if absent. */
  get(name: string): string | null | undefined {
    const n = name.toLowerCase();
    for (const p of this.list) if (p.name.toLowerCase() === n) return p.value;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces the first parameter named `name`, or appends it. */
  set(name: string, value: string | null): this {
    const n = name.toLowerCase();
    for (const p of this.list) {
      if (p.name.toLowerCase() === n) {
        p.value = value;
        return this;
      }
    }
    this.list.push({ name, value });
    return this;
  }

  delete(name: string): this {
    const n = name.toLowerCase();
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i].name.toLowerCase() === n) this.list.splice(i, 1);
    return this;
  }

  get size(): number {
    return this.list.length;
  }

  clone(): Params {
    return new Params(this.list.map((p) => ({ name: p.name, value: p.value })));
  }

  /** `;a=b;c` (with the leading separator), or '' when empty. */
  toString(sep = ';'): string {
    let out = '';
    for (const p of this.list) out += p.value === null ? sep + p.name : sep + p.name + '=' + p.value;
    return out;
  }
}

/**
 * Parses header parameters `*( SEMI generic-param )` in s[i, end), LWS allowed around `;`
 * and `=`. Values are a token, a quoted string (kept with its quotes) or an IPv6 reference.
 * Returns the list; throws SipSyntaxError on an empty or malformed parameter.
 */
export function parseHeaderParams(s: string, i: number, end: number, into: Params): void {
  i = skipWs(s, i, end);
  while (i < end) {
    if (s.charCodeAt(i) !== 0x3b /* ; */) throw syntaxError(`expected ';' at "${s.slice(i, end)}"`);
    i = skipWs(s, i + 1, end);
    const ns = i;
    while (i < end && s.charCodeAt(i) < 128 && TOKEN[s.charCodeAt(i)] === 1) i++;
    if (i === ns) throw syntaxError('empty parameter');
    const name = s.slice(ns, i);
    i = skipWs(s, i, end);
    let value: string | null = null;
    if (i < end && s.charCodeAt(i) === 0x3d /* = */) {
      i = skipWs(s, i + 1, end);
      const vs = i;
      const c = s.charCodeAt(i);
      if (c === 0x22 /* " */) {
        i = endOfQuoted(s, i, end);
      } else if (c === 0x5b /* [ */) {
        const close = s.indexOf(']', i);
        if (close < 0 || close >= end) throw syntaxError('unterminated IPv6 reference');
        i = close + 1;
      } else {
        // token, or a bare IPv6 address (Via received, RFC 3261 §20.42), hence ':'
        while (i < end) {
          const d = s.charCodeAt(i);
          if (d >= 128 || (TOKEN[d] === 0 && d !== 0x3a)) break;
          i++;
        }
      }
      if (i === vs) throw syntaxError(`parameter ${name} has an empty value`);
      value = s.slice(vs, i);
      i = skipWs(s, i, end);
    }
    into.list.push({ name, value });
  }
}

/** Given s[i] === '"', returns the index after the closing quote; handles quoted-pairs. */
export function endOfQuoted(s: string, i: number, end: number): number {
  i++;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      i += 2;
      continue;
    }
    if (c === 0x22) return i + 1;
    i++;
  }
  throw syntaxError('unterminated quoted string');
}

/** Removes the quotes and quoted-pair backslashes of a quoted string. */
export function unquote(q: string): string {
  if (q.length < 2 || q.charCodeAt(0) !== 0x22) return q;
  let out = '';
  for (let i = 1; i < q.length - 1; i++) {
    const c = q.charCodeAt(i);
    if (c === 0x5c && i + 1 < q.length - 1) {
      out += q[i + 1];
      i++;
    } else out += q[i];
  }
  return out;
}

/** Quotes a display name or parameter value, escaping `"` and `\`. */
export function quote(v: string): string {
  let out = '"';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += '\\';
    out += v[i];
  }
  return out + '"';
}

export { isWsp };
