// Messages the transaction layer builds itself (RFC 3261 §8.2.6, §9.1, §17.1.1.3), also
// useful to the UA: a response to a request, a CANCEL, and the ACK for a non-2xx final.
import { randomHex } from './random.js';
import { SipRequest, SipResponse } from '../message/index.js';

const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 204: 'No Notification',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 410: 'Gone',
  413: 'Request Entity Too Large', 414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme', 420: 'Bad Extension', 421: 'Extension Required', 422: 'Session Interval Too Small',
  423: 'Interval Too Brief', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete', 485: 'Ambiguous', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 489: 'Bad Event', 491: 'Request Pending',
  493: 'Undecipherable', 500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

/** The standard reason phrase of a status code. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : 'Error');
}

/** A random tag for To/From (64 bits, hex). */
export function newTag(): string {
  return randomHex(8);
}

/**
 * A response to `req` (RFC 3261 §8.2.6.2): all Vias, From, To, Call-ID and CSeq copied; a To
 * tag added when the request had none and `toTag` is given (never on 100).
 */
export function buildResponse(req: SipRequest, status: number, reason = reasonPhrase(status), toTag?: string): SipResponse {
  const res = new SipResponse(status, reason);
  for (const h of req.headers) {
    if (h.key === 'via' || h.key === 'from' || h.key === 'call-id' || h.key === 'cseq') res.headers.push({ ...h });
    else if (h.key === 'to') {
      const hasTag = req.to.tag !== undefined;
      res.headers.push(!hasTag && toTag !== undefined && status !== 100 ? { ...h, value: h.value + ';tag=' + toTag } : { ...h });
    }
  }
  return res;
}

/** CANCEL for an INVITE (RFC 3261 §9.1): same Request-URI, top Via, Route, From, To, Call-ID, CSeq number. */
export function buildCancel(invite: SipRequest): SipRequest {
  const c = new SipRequest('CANCEL', invite.uri.clone());
  const top = invite.getAll('via')[0];
  if (top !== undefined) c.add('Via', top);
  c.add('Max-Forwards', '70');
  for (const h of invite.headers) if (h.key === 'route') c.headers.push({ ...h });
  c.add('From', invite.get('from')!).add('To', invite.get('to')!).add('Call-ID', invite.callId);
  c.add('CSeq', invite.cseq.seq + ' CANCEL');
  return c;
}

/** ACK for a non-2xx final response (RFC 3261 §17.1.1.3): To from the response, rest from the INVITE. */
export function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  const a = new SipRequest('ACK', invite.uri.clone());
  const top = invite.getAll('via')[0];
  if (top !== undefined) a.add('Via', top);
  a.add('Max-Forwards', '70');
  for (const h of invite.headers) if (h.key === 'route') a.headers.push({ ...h });
  a.add('From', invite.get('from')!).add('To', res.get('to')!).add('Call-ID', invite.callId);
  a.add('CSeq', invite.cseq.seq + ' ACK');
  return a;
}
