// Cuts a TCP/TLS byte stream into SIP messages using Content-Length (RFC 3261 §18.3),
// and recognises the RFC 5626 keep-alives (CRLFCRLF ping, CRLF pong) between messages.

/** What a push produced, in stream order. */
export type FramerItem = { kind: 'message'; bytes: Buffer } | { kind: 'ping' } | { kind: 'pong' };

/** A framing failure; the stream cannot be resynchronised, so the connection must close. */
export class FramingError extends Error {
  constructor(
    message: string,
    /** The header bytes read so far (lets the caller try to answer 400). */
    readonly head?: Buffer,
  ) {
    super(message);
    this.name = 'FramingError';
  }
}

export interface FramerLimits {
  /** Largest header section accepted (bytes). */
  maxHeaderBytes: number;
  /** Largest whole message accepted (bytes). */
  maxMessageBytes: number;
}

const DEFAULT_LIMITS: FramerLimits = { maxHeaderBytes: 16384, maxMessageBytes: 65536 };

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of buf already scanned for the end of the headers without finding it. */
  private scanned = 0;
  private readonly limits: FramerLimits;

  constructor(limits: Partial<FramerLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buf.length;
  }

  /** Adds received bytes; returns the complete items. Throws FramingError on a bad stream. */
  push(chunk: Buffer): FramerItem[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: FramerItem[] = [];
    for (;;) {
      const b = this.buf;
      // keep-alives (CRLFCRLF ping, CRLF pong) and stray line ends between messages
      let i = 0;
      let waiting = false;
      while (i < b.length) {
        const left = b.length - i;
        const c = b[i];
        if (c === 0x0d) {
          if (left >= 4 && b[i + 1] === 0x0a && b[i + 2] === 0x0d && b[i + 3] === 0x0a) {
            out.push({ kind: 'ping' });
            i += 4;
          } else if (left >= 2 && b[i + 1] === 0x0a) {
            // a lone CRLF at the end, or CRLF CR, may be a ping still arriving
            if (left === 2 || (left === 3 && b[i + 2] === 0x0d)) {
              waiting = true;
              break;
            }
            out.push({ kind: 'pong' });
            i += 2;
          } else if (left === 1) {
            waiting = true;
            break;
          } else i++;
        } else if (c === 0x0a) i++;
        else break;
      }
      if (i > 0) {
        this.buf = b.subarray(i);
        this.scanned = 0;
        if (waiting || this.buf.length === 0) return out;
        continue;
      }
      if (waiting) return out;
      if (b.length === 0) return out;
      const from = this.scanned > 3 ? this.scanned - 3 : 0;
      const headEnd = b.indexOf('\r\n\r\n', from, 'latin1');
      if (headEnd < 0) {
        if (b.length > this.limits.maxHeaderBytes) throw new FramingError('header section too large', b.subarray(0, 4096));
        this.scanned = b.length;
        return out;
      }
      const bodyStart = headEnd + 4;
      const cl = contentLength(b, headEnd);
      if (cl === -1) throw new FramingError('missing Content-Length on a stream transport', b.subarray(0, bodyStart));
      if (cl === -2) throw new FramingError('bad Content-Length', b.subarray(0, bodyStart));
      const total = bodyStart + cl;
      if (total > this.limits.maxMessageBytes) throw new FramingError('message too large', b.subarray(0, bodyStart));
      if (b.length < total) {
        this.scanned = headEnd; // the head is complete; wait for the body
        return out;
      }
      // copy so the message does not pin a large shared buffer
      out.push({ kind: 'message', bytes: Buffer.from(b.subarray(0, total)) });
      this.buf = b.subarray(total);
      this.scanned = 0;
      if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    }
  }
}

/**
 * Content-Length from the header bytes b[0, headEnd): the value, -1 when absent, -2 when
 * malformed or repeated with different values.
 */
function contentLength(b: Buffer, headEnd: number): number {
  let found = -1;
  let line = 0;
  while (line < headEnd) {
    let nl = b.indexOf(0x0a, line);
    if (nl < 0 || nl > headEnd) nl = headEnd;
    // header name: "content-length" or "l", case-insensitive, then optional spaces and ':'
    let j = line;
    const c0 = b[j] | 0x20;
    let k = -1;
    if (c0 === 0x6c /* l */) k = j + 1;
    else if (c0 === 0x63 /* c */ && matchCI(b, j + 1, 'ontent-length')) k = j + 14;
    let isCl = false;
    if (k >= 0) {
      while (k < nl && (b[k] === 0x20 || b[k] === 0x09)) k++;
      if (b[k] === 0x3a) {
        isCl = true;
        j = k + 1;
      }
    }
    if (isCl) {
      while (j < nl && (b[j] === 0x20 || b[j] === 0x09)) j++;
      let v = 0;
      const ds = j;
      while (j < nl && b[j] >= 0x30 && b[j] <= 0x39) {
        v = v * 10 + (b[j] - 0x30);
        if (v > 0x7fffffff) return -2;
        j++;
      }
      while (j < nl && (b[j] === 0x20 || b[j] === 0x09 || b[j] === 0x0d)) j++;
      if (j === ds || j !== nl) return -2;
      if (found >= 0 && found !== v) return -2;
      found = v;
    }
    line = nl + 1;
  }
  return found;
}

function matchCI(b: Buffer, at: number, lower: string): boolean {
  if (at + lower.length > b.length) return false;
  for (let i = 0; i < lower.length; i++) if ((b[at + i] | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}
