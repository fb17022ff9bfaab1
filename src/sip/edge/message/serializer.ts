// Serialises a message to wire bytes. Content-Length is always written and always the
// byte length of the body; every other field goes out as stored.
import { compactName } from './headers.js';
import type { AnySipMessage } from './message.js';

export interface SerializeOptions {
  /** Use the compact form of header names that have one (v, f, t, i, m, l, ...). */
  compact?: boolean;
}

/** The start line without CRLF (`INVITE sip:b@x SIP/2.0`, `SIP/2.0 200 OK`). */
export function startLine(msg: AnySipMessage): string {
  return msg.isRequest ? msg.method + ' ' + msg.uri.toString() + ' SIP/2.0' : 'SIP/2.0 ' + msg.status + ' ' + msg.reason;
}

/** Wire bytes of a message. */
export function serializeMessage(msg: AnySipMessage, opts: SerializeOptions = {}): Buffer {
  const compact = opts.compact === true;
  let head = startLine(msg) + '\r\n';
  let wroteLength = false;
  for (const h of msg.headers) {
    if (h.key === 'content-length') {
      if (wroteLength) continue;
      wroteLength = true;
      head += (compact ? 'l' : h.name) + ': ' + msg.body.length + '\r\n';
      continue;
    }
    head += (compact ? (compactName(h.key) ?? h.name) : h.name) + ': ' + h.value + '\r\n';
  }
  if (!wroteLength) head += (compact ? 'l' : 'Content-Length') + ': ' + msg.body.length + '\r\n';
  head += '\r\n';
  const hlen = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(hlen + msg.body.length);
  out.write(head, 0, hlen, 'utf8');
  msg.body.copy(out, hlen);
  return out;
}
