// Header names: compact forms, canonical keys, and which headers are comma lists.

/** One header field line. `name` as written on the wire; `key` is its canonical lower-case long name. */
export interface SipHeader {
  name: string;
  key: string;
  value: string;
}

const COMPACT: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const TO_COMPACT: Record<string, string> = {};
for (const [k, v] of Object.entries(COMPACT)) TO_COMPACT[v] = k;

const KEY_CACHE = new Map<string, string>();
const KEY_CACHE_MAX = 2048;

/** Canonical key of a header name: lower case, compact forms expanded (interned for common names). */
export function headerKey(name: string): string {
  const hit = KEY_CACHE.get(name);
  if (hit !== undefined) return hit;
  const l = name.toLowerCase();
  const key = l.length === 1 ? (COMPACT[l] ?? l) : l;
  if (KEY_CACHE.size < KEY_CACHE_MAX) KEY_CACHE.set(name, key);
  return key;
}

/** The compact form of a canonical key, if it has one. */
export function compactName(key: string): string | undefined {
  return TO_COMPACT[key];
}

const WELL_KNOWN: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
  'p-asserted-identity': 'P-Asserted-Identity',
};

/** Conventional capitalisation of a header key (`content-length` → `Content-Length`). */
export function headerDisplayName(key: string): string {
  const w = WELL_KNOWN[key];
  if (w !== undefined) return w;
  let out = '';
  let up = true;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i];
    out += up ? ch.toUpperCase() : ch;
    up = ch === '-';
  }
  return out;
}

/** Headers whose values may be comma-separated lists (RFC 3261 §7.3.1 and extensions). */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'contact', 'route', 'record-route', 'path', 'service-route', 'allow', 'supported', 'require',
  'proxy-require', 'unsupported', 'accept', 'accept-encoding', 'accept-language', 'alert-info', 'call-info',
  'content-encoding', 'content-language', 'error-info', 'in-reply-to', 'warning', 'allow-events',
  'p-asserted-identity', 'p-preferred-identity', 'p-associated-uri', 'reason', 'history-info',
  'accept-contact', 'reject-contact', 'request-disposition', 'security-client', 'security-server',
  'security-verify', 'privacy',
]);

/** Headers that may appear at most once in a message. */
export const SINGLE_HEADERS: ReadonlySet<string> = new Set([
  'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type', 'expires',
  'min-expires', 'rseq', 'rack', 'session-expires', 'min-se', 'refer-to', 'event', 'subscription-state',
]);

/**
 * Splits a list header value at top-level commas (outside quotes and <>). Items are trimmed;
 * empty items are returned as '' so the caller can refuse them.
 */
export function splitList(v: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      out.push(v.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(v.slice(start).trim());
  return out;
}
