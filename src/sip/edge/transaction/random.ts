// Random hex for branches, tags and tokens, drawn from a pooled crypto-random buffer: one
// randomFillSync per 4 KiB instead of one randomBytes call (and its buffer) per message.
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.allocUnsafe(4096);
let pos = POOL.length;

/** `bytes` crypto-random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  if (bytes > POOL.length) throw new RangeError('randomHex: too many bytes');
  if (pos + bytes > POOL.length) {
    randomFillSync(POOL);
    pos = 0;
  }
  const s = POOL.toString('hex', pos, pos + bytes);
  pos += bytes;
  return s;
}
