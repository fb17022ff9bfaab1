// The strict SIP message parser (RFC 3261 §7, §25). One pass over the header bytes with
// string indexes; the headers the stack relies on are validated and their parsed views
// cached on the message. Every failure is a SipParseError.
import { SipParseError, type SipParseReason } from './errors.js';
import { isToken } from './chars.js';
import { LIST_HEADERS, SINGLE_HEADERS, headerKey, splitList, type SipHeader } from './headers.js';
import { CSeq, SipRequest, SipResponse, parseCSeq, type AnySipMessage, type SipMessage } from './message.js';
import { NameAddr, readNameAddr } from './name-addr.js';
import { SipUri, readUri } from './uri.js';
import { Via, readVia } from './via.js';

export interface ParseOptions {
  /**
   * The bytes came from a stream transport, already framed: Content-Length is mandatory and
   * must match the bytes given. For datagrams (the default) a missing Content-Length means
   * "the rest of the datagram" and extra trailing octets are discarded (RFC 3261 §18.3).
   */
  stream?: boolean;
  /**
   * Require Via, From, To, Call-ID and CSeq, and a CSeq method equal to the request's (default
   * true). false parses partial messages, e.g. a request an application hands over for the
   * stack to complete; headers that are present are still validated.
   */
  requireHeaders?: boolean;
  /**
   * Use Content-Length to find the body (default true). false takes the rest of the buffer as
   * the body whatever Content-Length says (for text whose length was counted in characters).
   */
  trustContentLength?: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const MAX_DELTA = 4294967295;
const DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Parses one SIP message from `buf`. Throws SipParseError when it is malformed. */
export function parseMessage(buf: Buffer, opts: ParseOptions = {}): AnySipMessage {
  // RFC 3261 §7.5: ignore CRLFs before the start line.
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  let headEnd = buf.indexOf(CRLFCRLF, start);
  let bodyStart: number;
  if (headEnd >= 0) bodyStart = headEnd + 4;
  else {
    headEnd = buf.indexOf(LFLF, start);
    if (headEnd < 0) throw new SipParseError('no empty line after the headers', 'truncated');
    bodyStart = headEnd + 2;
  }
  const head = buf.toString('utf8', start, headEnd);

  // start line
  let eol = head.indexOf('\n');
  if (eol < 0) eol = head.length;
  const lineEnd = eol > 0 && head.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol;
  let msg: AnySipMessage;
  try {
    msg = parseStartLine(head, lineEnd);
  } catch (e) {
    // a request with a bad start line (e.g. SIP/3.0) still gets its headers read, so it can be answered
    if (e instanceof SipParseError && e.isRequest === true) {
      const hs: SipHeader[] = [];
      try {
        readHeaderLines(head, eol + 1, hs);
      } catch {
        /* answer with what was read */
      }
      throw new SipParseError(e.message, e.reason, { sipStatus: e.sipStatus, isRequest: true, method: e.method, headers: hs });
    }
    throw e;
  }
  const isRequest = msg.isRequest;
  const method = isRequest ? (msg as SipRequest).method : undefined;
  const fail = (text: string, reason: SipParseReason, header?: string, status = 400): never => {
    throw new SipParseError(text, reason, { sipStatus: status, isRequest, method, headers: msg.headers, header });
  };
  const headers = msg.headers;
  try {
    readHeaderLines(head, eol + 1, headers);
  } catch (e) {
    rethrow(e, msg, undefined);
  }

  // validate the headers the stack depends on; cache their parsed forms
  let contentLength = -1;
  let seen = 0;
  for (let k = 0; k < headers.length; k++) {
    const h = headers[k];
    const bit = SINGLE_BITS[h.key];
    if (bit !== undefined) {
      if (seen & bit) fail(`more than one ${h.name} header`, 'duplicate-header', h.name);
      seen |= bit;
    } else if (SINGLE_HEADERS.has(h.key) && countKey(headers, h.key) > 1) {
      fail(`more than one ${h.name} header`, 'duplicate-header', h.name);
    }
    try {
      switch (h.key) {
        case 'content-length':
          contentLength = parseDigits(h.value, 'Content-Length', 0x7fffffff);
          break;
        case 'max-forwards':
          if (parseDigits(h.value, 'Max-Forwards', 0xffffffff) > 255) throw bad('Max-Forwards above 255');
          break;
        case 'expires':
        case 'min-expires':
          parseDigits(h.value, h.name, MAX_DELTA);
          break;
        case 'retry-after': {
          const end = h.value.search(/[\s;(]/);
          parseDigits(end < 0 ? h.value : h.value.slice(0, end), 'Retry-After', MAX_DELTA);
          break;
        }
        case 'call-id':
          if (h.value.length === 0 || !isCallId(h.value)) throw bad('bad Call-ID');
          break;
        case 'date':
          if (!DATE_RE.test(h.value)) throw bad('bad Date (RFC 1123 date in GMT required)');
          break;
      }
    } catch (e) {
      rethrow(e, msg, h);
    }
  }
  const strict = opts.requireHeaders !== false;
  try {
    if (strict || msg.has('via')) msg.setCached('via', checkVias(msg));
    if (strict || msg.has('from')) msg.setCached('from', checkNameAddr(msg, 'from'));
    if (strict || msg.has('to')) msg.setCached('to', checkNameAddr(msg, 'to'));
    if (strict && msg.get('call-id') === undefined) fail('missing Call-ID header', 'missing-header', 'Call-ID');
    const cseqText = msg.get('cseq');
    if (strict && cseqText === undefined) fail('missing CSeq header', 'missing-header', 'CSeq');
    if (cseqText !== undefined) {
      const cseq: CSeq = parseCSeq(cseqText);
      msg.setCached('cseq', cseq);
      if (strict && isRequest && cseq.method !== method) fail(`CSeq method ${cseq.method} differs from ${method}`, 'cseq-mismatch', 'CSeq');
    }
    // validated here, parsed again on demand: keeps retained memory per message low
    checkContacts(msg);
    checkNameAddrList(msg, 'route');
    checkNameAddrList(msg, 'record-route');
  } catch (e) {
    rethrow(e, msg, undefined);
  }

  // body
  const avail = buf.length - bodyStart;
  let len: number;
  if (contentLength < 0 || opts.trustContentLength === false) {
    if (opts.stream && contentLength < 0) fail('missing Content-Length on a stream transport', 'content-length', 'Content-Length');
    len = avail;
  } else {
    if (contentLength > avail) fail(`Content-Length ${contentLength} exceeds the ${avail} bytes received`, 'content-length', 'Content-Length');
    if (opts.stream && contentLength !== avail) fail('Content-Length differs from the framed body', 'content-length', 'Content-Length');
    len = contentLength;
  }
  msg.body = buf.subarray(bodyStart, bodyStart + len);
  msg.raw = buf.subarray(start, bodyStart + len);
  return msg;
}

/** Reads header lines from head[i...] into `headers`, unfolding continuation lines. */
function readHeaderLines(head: string, i: number, headers: SipHeader[]): void {
  while (i < head.length) {
    let nl = head.indexOf('\n', i);
    if (nl < 0) nl = head.length;
    let le = nl > i && head.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
    const c = head.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      if (headers.length === 0) throw new SipParseError('continuation line before any header', 'header-syntax');
      const h = headers[headers.length - 1];
      let s = i;
      while (s < le && (head.charCodeAt(s) === 0x20 || head.charCodeAt(s) === 0x09)) s++;
      while (le > s && (head.charCodeAt(le - 1) === 0x20 || head.charCodeAt(le - 1) === 0x09)) le--;
      if (s < le) h.value = h.value.length === 0 ? head.slice(s, le) : h.value + ' ' + head.slice(s, le);
      i = nl + 1;
      continue;
    }
    const colon = head.indexOf(':', i);
    if (colon < 0 || colon > le) throw new SipParseError(`header line without a colon: "${head.slice(i, Math.min(le, i + 40))}"`, 'header-syntax');
    let ne = colon;
    while (ne > i && (head.charCodeAt(ne - 1) === 0x20 || head.charCodeAt(ne - 1) === 0x09)) ne--;
    const name = head.slice(i, ne);
    if (!isToken(name)) throw new SipParseError(`bad header name "${name.slice(0, 40)}"`, 'header-syntax');
    let vs = colon + 1;
    while (vs < le && (head.charCodeAt(vs) === 0x20 || head.charCodeAt(vs) === 0x09)) vs++;
    while (le > vs && (head.charCodeAt(le - 1) === 0x20 || head.charCodeAt(le - 1) === 0x09)) le--;
    headers.push({ name, key: headerKey(name), value: head.slice(vs, le) });
    i = nl + 1;
  }
}

function parseStartLine(head: string, lineEnd: number): AnySipMessage {
  if (head.startsWith('SIP/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const sp1 = head.indexOf(' ');
    if (sp1 < 0 || sp1 >= lineEnd) throw new SipParseError('bad status line', 'start-line', { isRequest: false });
    if (head.slice(0, sp1) !== 'SIP/2.0') throw new SipParseError(`unsupported version ${head.slice(0, sp1)}`, 'version', { isRequest: false });
    let code = 0;
    let k = sp1 + 1;
    for (; k < lineEnd && k < sp1 + 4; k++) {
      const c = head.charCodeAt(k);
      if (c < 0x30 || c > 0x39) break;
      code = code * 10 + (c - 0x30);
    }
    if (k !== sp1 + 4 || code < 100 || code > 699 || (k < lineEnd && head.charCodeAt(k) !== 0x20)) {
      throw new SipParseError(`bad status code in "${head.slice(0, Math.min(lineEnd, 60))}"`, 'start-line', { isRequest: false });
    }
    return new SipResponse(code, k < lineEnd ? head.slice(k + 1, lineEnd) : '');
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (single spaces, nothing else)
  const sp1 = head.indexOf(' ');
  if (sp1 <= 0 || sp1 >= lineEnd) throw new SipParseError('bad request line', 'start-line', {});
  const method = head.slice(0, sp1);
  if (!isToken(method)) throw new SipParseError(`bad method "${method.slice(0, 40)}"`, 'start-line', {});
  const sp2 = head.indexOf(' ', sp1 + 1);
  if (sp2 < 0 || sp2 >= lineEnd || sp2 === sp1 + 1) {
    throw new SipParseError('bad request line', 'start-line', { isRequest: true, method });
  }
  const version = head.slice(sp2 + 1, lineEnd);
  if (version.indexOf(' ') >= 0 || version.indexOf('\t') >= 0 || version.length === 0) {
    throw new SipParseError('bad request line (extra spaces)', 'start-line', { isRequest: true, method });
  }
  if (version !== 'SIP/2.0') {
    throw new SipParseError(`unsupported version ${version.slice(0, 20)}`, 'version', { isRequest: true, method, sipStatus: 505 });
  }
  let uri: SipUri;
  try {
    uri = readUri(head, sp1 + 1, sp2);
  } catch (e) {
    throw new SipParseError(`bad Request-URI: ${(e as Error).message}`, 'start-line', { isRequest: true, method });
  }
  if (uri.headers.size > 0) throw new SipParseError('headers are not allowed in a Request-URI', 'start-line', { isRequest: true, method });
  return new SipRequest(method, uri);
}

const SINGLE_BITS: Record<string, number> = {
  from: 1,
  to: 2,
  'call-id': 4,
  cseq: 8,
  'max-forwards': 16,
  'content-length': 32,
  'content-type': 64,
  expires: 128,
};

function countKey(headers: SipHeader[], key: string): number {
  let n = 0;
  for (const h of headers) if (h.key === key) n++;
  return n;
}

function bad(text: string): SipParseError {
  return new SipParseError(text, 'header-value');
}

function rethrow(e: unknown, msg: SipMessage, h: SipHeader | undefined): never {
  const isRequest = msg.isRequest;
  const method = isRequest ? (msg as SipRequest).method : undefined;
  if (e instanceof SipParseError) {
    const header = h?.name ?? e.header;
    const text = h !== undefined ? `${h.name}: ${e.message}` : e.message;
    throw new SipParseError(text, e.reason, { sipStatus: e.sipStatus, isRequest, method, headers: msg.headers, header });
  }
  throw e;
}

/** 1*DIGIT up to `max`; leading zeros allowed. */
function parseDigits(v: string, what: string, max: number): number {
  if (v.length === 0) throw bad(`empty ${what}`);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw bad(`${what} is not a number`);
    n = n * 10 + (c - 0x30);
    if (n > max) throw bad(`${what} too large`);
  }
  return n;
}

/**
 * Call-ID: RFC 3261 says word [ "@" word ], but deployed peers use base64 ('=', '/') and more;
 * like sofia-sip, accept any visible ASCII (no spaces, no controls).
 */
function isCallId(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function checkVias(msg: SipMessage): Via[] {
  const out: Via[] = [];
  for (const h of msg.headers) {
    if (h.key !== 'via') continue;
    for (const item of splitList(h.value)) {
      if (item.length === 0) throw new SipParseError('Via: empty value in list', 'header-value', { header: 'Via' });
      try {
        out.push(readVia(item, 0, item.length));
      } catch (e) {
        throw new SipParseError(`Via: ${(e as Error).message}`, 'header-value', { header: 'Via' });
      }
    }
  }
  if (out.length === 0) throw new SipParseError('missing Via header', 'missing-header', { header: 'Via' });
  return out;
}

function checkNameAddr(msg: SipMessage, key: 'from' | 'to'): NameAddr {
  const v = msg.get(key);
  if (v === undefined) {
    throw new SipParseError(`missing ${key === 'from' ? 'From' : 'To'} header`, 'missing-header', { header: key });
  }
  try {
    return readNameAddr(v, 0, v.length);
  } catch (e) {
    throw new SipParseError(`${key === 'from' ? 'From' : 'To'}: ${(e as Error).message}`, 'header-value', { header: key });
  }
}

function checkNameAddrList(msg: SipMessage, key: string): void {
  for (const h of msg.headers) {
    if (h.key !== key) continue;
    for (const item of splitList(h.value)) {
      try {
        readNameAddr(item, 0, item.length);
      } catch (e) {
        throw new SipParseError(`${h.name}: ${(e as Error).message}`, 'header-value', { header: h.name });
      }
    }
  }
}

function checkContacts(msg: SipMessage): NameAddr[] {
  const out: NameAddr[] = [];
  let star = false;
  for (const h of msg.headers) {
    if (h.key !== 'contact') continue;
    for (const item of splitList(h.value)) {
      if (item === '*') {
        star = true;
        continue;
      }
      if (item.length === 0) throw new SipParseError('Contact: empty value in list', 'header-value', { header: 'Contact' });
      let na: NameAddr;
      try {
        na = readNameAddr(item, 0, item.length);
      } catch (e) {
        throw new SipParseError(`Contact: ${(e as Error).message}`, 'header-value', { header: 'Contact' });
      }
      const exp = na.params.get('expires');
      if (exp !== undefined) {
        if (exp === null) throw new SipParseError('Contact: expires without a value', 'header-value', { header: 'Contact' });
        parseDigits(exp, 'Contact expires', MAX_DELTA);
      }
      out.push(na);
    }
  }
  if (star && out.length > 0) throw new SipParseError('Contact: * mixed with addresses', 'header-value', { header: 'Contact' });
  return out;
}

export { LIST_HEADERS };
