// drachtio's rules for the headers an app may set (shared/drachtio-protocol.md §2.6):
// Via, Route, Record-Route, RSeq and Content-Length from the app are dropped; custom header
// names are re-capitalised after each dash; `@localhost` becomes our host:port.

import { randomHex } from '../transaction/index.js';
import { SipMsg, canonName, isToken } from './sip-msg.js';

const DISCARDED = new Set(['via', 'route', 'record-route', 'rseq', 'content-length', 'max-forwards']);

/** Well-known headers whose spelling we normalise; anything else keeps the app's case unless it is custom. */
const KNOWN: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', from: 'From', to: 'To', contact: 'Contact', 'content-type': 'Content-Type',
  'www-authenticate': 'WWW-Authenticate', 'proxy-authenticate': 'Proxy-Authenticate', rack: 'RAck',
  'p-asserted-identity': 'P-Asserted-Identity', 'mime-version': 'MIME-Version', 'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
};

/** `x-foo` stays; `my-header` → `My-Header`; known names get their RFC spelling. */
export function headerName(name: string, preserve: ReadonlySet<string>): string {
  const lc = name.toLowerCase();
  if (preserve.has(lc)) return name;
  const known = KNOWN[canonName(name)];
  if (known) return known;
  if (lc.startsWith('x-')) return name;
  return name
    .split('-')
    .map((p) => (p.length > 0 ? p[0].toUpperCase() + p.slice(1) : p))
    .join('-');
}

/** Copies the app's headers into `out`, applying the policy. `skip` lists extra names to ignore. */
export function applyAppHeaders(app: SipMsg, out: SipMsg, skip: ReadonlySet<string>, preserve: ReadonlySet<string>): void {
  for (const [n, v] of app.headers) {
    const c = canonName(n);
    if (DISCARDED.has(c) || skip.has(c)) continue;
    if (!isToken(n) || /[\r\n]/.test(v)) continue;
    out.add(headerName(n, preserve), v);
  }
}

/** Replaces `@localhost` (and a bare `sip:localhost`) with our host:port in an address header. */
export function substituteLocalhost(v: string, hostport: string): string {
  return v.replace(/@localhost(?=[>;:\s]|$)(:\d+)?/gi, `@${hostport}`).replace(/(sips?:)localhost(?=[>;\s]|$)(:\d+)?/gi, `$1${hostport}`);
}

export const LOCALHOST_HEADERS = ['from', 'to', 'contact', 'p-asserted-identity'];

/** Auto Content-Type: SDP bodies get application/sdp. Returns false when a body lacks a type. */
export function ensureContentType(m: SipMsg): boolean {
  if (m.body === '' || m.has('content-type')) return true;
  if (/^v=0/.test(m.body.trimStart())) {
    m.set('Content-Type', 'application/sdp');
    return true;
  }
  return false;
}

export function randomToken(bytes = 8): string {
  return randomHex(bytes);
}

export function newBranch(): string {
  return `z9hG4bK${randomHex(10)}`;
}
