// name-addr / addr-spec values (From, To, Contact, Route, Record-Route, Refer-To, ...).
import { syntaxError } from './errors.js';
import { TOKEN, isWsp, skipWs, trimEnd } from './chars.js';
import { Params, endOfQuoted, parseHeaderParams, quote, unquote } from './params.js';
import { SipUri, readUri } from './uri.js';

/** `"Display" <uri>;params`. Display name is unquoted (undefined when absent). */
export class NameAddr {
  displayName: string | undefined;
  uri: SipUri;
  /** Header parameters (tag, expires, q, lr, ...), after the URI. */
  params: Params;

  constructor(uri: SipUri, displayName?: string, params: Params = new Params()) {
    this.uri = uri;
    this.displayName = displayName;
    this.params = params;
  }

  /** The `tag` parameter, if any. */
  get tag(): string | undefined {
    const t = this.params.get('tag');
    return t === null ? undefined : t;
  }

  clone(): NameAddr {
    return new NameAddr(this.uri.clone(), this.displayName, this.params.clone());
  }

  /** Always the name-addr form (`<uri>`), which is unambiguous for any URI. */
  toString(): string {
    let s = '';
    if (this.displayName !== undefined && this.displayName !== '') s = quote(this.displayName) + ' ';
    return s + '<' + this.uri.toString() + '>' + this.params.toString();
  }
}

/** Parses one name-addr or addr-spec (no list); throws SipParseError when malformed. */
export function parseNameAddr(s: string): NameAddr {
  return readNameAddr(s, 0, s.length);
}

/** Parses the name-addr in s[from, to). */
export function readNameAddr(s: string, from: number, to: number): NameAddr {
  let i = skipWs(s, from, to);
  to = trimEnd(s, i, to);
  if (i >= to) throw syntaxError('empty address');
  let display: string | undefined;
  let angle = false;
  const c = s.charCodeAt(i);
  if (c === 0x22) {
    const q = endOfQuoted(s, i, to);
    display = unquote(s.slice(i, q));
    i = skipWs(s, q, to);
    if (s.charCodeAt(i) !== 0x3c) throw syntaxError('quoted display name not followed by <URI>');
    angle = true;
  } else if (c === 0x3c) {
    angle = true;
  } else {
    let j = i;
    while (j < to) {
      const d = s.charCodeAt(j);
      // token chars and LWS; UTF-8 too, which deployed UAs send unquoted
      if (!(isWsp(d) || d >= 128 || TOKEN[d] === 1)) break;
      j++;
    }
    if (j < to && s.charCodeAt(j) === 0x3c) {
      display = s.slice(i, trimEnd(s, i, j));
      i = j;
      angle = true;
    }
  }
  let uri: SipUri;
  if (angle) {
    const close = s.indexOf('>', i);
    if (close < 0 || close >= to) throw syntaxError('missing > after URI');
    uri = readUri(s, i + 1, close);
    i = close + 1;
  } else {
    let end = i;
    while (end < to && s.charCodeAt(end) !== 0x3b) end++;
    const uend = trimEnd(s, i, end);
    for (let k = i; k < uend; k++) {
      const d = s.charCodeAt(k);
      if (d === 0x3f || d === 0x2c || isWsp(d)) throw syntaxError('addr-spec with ?, comma or space must be in <>');
    }
    uri = readUri(s, i, uend);
    i = end;
  }
  const na = new NameAddr(uri, display);
  parseHeaderParams(s, i, to, na.params);
  return na;
}
