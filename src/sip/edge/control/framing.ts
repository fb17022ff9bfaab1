// Length-prefixed framing of the drachtio control protocol: `<N>#<payload>`, where N is the
// byte length of the UTF-8 payload in decimal ASCII. Frames may share or straddle TCP segments.

import { SignalingError } from '../../../errors.js';

/** Largest app→server frame we accept. drachtio caps at 99,999 bytes; we allow more. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Digits allowed in the length prefix before the `#` (enough for the frame cap). */
const MAX_LENGTH_DIGITS = 10;

const HASH = 0x23;

/** One frame as text, `<N>#<payload>` (N counted in UTF-8 bytes); written as UTF-8. */
export function frameText(payload: string): string {
  return Buffer.byteLength(payload, 'utf8') + '#' + payload;
}

/** Encodes one payload as a frame. */
export function encodeFrame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const head = Buffer.from(`${body.length}#`, 'latin1');
  return Buffer.concat([head, body], head.length + body.length);
}

/**
 * Incremental decoder: feed it whatever the socket delivers, get back complete payloads.
 * A malformed length prefix throws SignalingError; the caller should drop the connection.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;
  private readonly maxFrameBytes: number;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(data: Buffer): string[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const out: string[] = [];
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    let pos = 0;
    for (;;) {
      if (this.expected < 0) {
        const hash = buf.indexOf(HASH, pos);
        if (hash < 0) {
          if (buf.length - pos > MAX_LENGTH_DIGITS) throw new SignalingError('control frame: length prefix too long');
          this.checkDigits(buf, pos, buf.length);
          break;
        }
        if (hash - pos > MAX_LENGTH_DIGITS || hash === pos) throw new SignalingError('control frame: bad length prefix');
        this.checkDigits(buf, pos, hash);
        const n = Number(buf.toString('latin1', pos, hash));
        if (n <= 0 || n > this.maxFrameBytes) throw new SignalingError(`control frame: length ${n} out of range`);
        this.expected = n;
        pos = hash + 1;
      }
      if (buf.length - pos < this.expected) break;
      out.push(buf.toString('utf8', pos, pos + this.expected));
      pos += this.expected;
      this.expected = -1;
    }
    buf = buf.subarray(pos);
    this.chunks = buf.length > 0 ? [buf] : [];
    this.buffered = buf.length;
    return out;
  }

  private checkDigits(buf: Buffer, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const c = buf[i];
      if (c < 0x30 || c > 0x39) throw new SignalingError('control frame: non-digit in length prefix');
    }
  }
}
