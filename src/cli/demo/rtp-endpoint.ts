// The demo's phones' media: a UDP socket an SDP points at, sending a paced 20 ms RTP stream (a
// 1 kHz tone in G.711 µ-law or G.722) and counting what arrives by payload type, with the
// RFC 4733 digits.
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { linearToUlaw } from '../../media/g711.js';

export interface DemoCodec {
  name: string;
  /** sipp key `codec`: the SDP rtpmap. */
  rtpmap: string;
  pt: number;
  tsStep: number;
  payload(i: number): Buffer;
}

/** 20 ms of a 1 kHz tone, µ-law. */
export function ulawTone(i: number): Buffer {
  const b = Buffer.alloc(160);
  for (let k = 0; k < 160; k++) b[k] = linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (i * 160 + k)) / 8000)));
  return b;
}

/**
 * 20 ms of a 1 kHz tone in G.722 (64 kbit/s), about -9 dBm0: one frame of spandsp's encoder in
 * steady state on a 1 kHz sine; sent over and over it decodes to 1 kHz (99 % of the energy).
 */
const G722_TONE = Buffer.from(
  'fad3f9b7b66df3df7dd89af3f5edf3ddfed6bdfaf0aafdf6d8d6bc7ab1eff8f496d6ff7daff4eedbdf9856b3f8eb5db6d853f8bff3f5efda5b' +
  'dbdebdb16df7da7dd69bf7b4ecf47e55d899f8aff6f17cd9d3fcb7fbae72dfd955deb8f0acf4fc58d3f8ffb3f1ae5adbdb5dffafb06fd67ad6' +
  'dfb7f5eafc75579edbb5f1eff976579edab4eef3f4745a98dcf3b3f0ed7cdf9cdc71aeedf0f55edfb8f1efeeaffa', 'hex');

export const DEMO_CODECS = {
  PCMU: { name: 'PCMU', rtpmap: 'PCMU/8000', pt: 0, tsStep: 160, payload: ulawTone },
  G722: { name: 'G722', rtpmap: 'G722/8000', pt: 9, tsStep: 160, payload: () => G722_TONE },
} satisfies Record<string, DemoCodec>;

/** Most packets one timer tick sends when the stream has fallen behind the clock (100 ms). */
export const STREAM_BURST = 5;

export class RtpEndpoint {
  readonly #sock = dgram.createSocket('udp4');
  readonly received = new Map<number, number>();
  /** RFC 4733 digits received (payload type 101), one per event (its first end packet). */
  digits = '';
  #open = false;
  sent = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(readonly ip: string) {
    this.#sock.on('message', (m) => {
      if (m.length < 12 || (m[0]! >> 6) !== 2) return;
      const pt = m[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return;
      this.received.set(pt, (this.received.get(pt) ?? 0) + 1);
      if (pt === 101) this.#event(m);
    });
  }

  /**
   * An RFC 4733 packet: a digit is taken once, at the first end packet after the event's start
   * (marker bit) or its progress packets. Not by timestamp: the retransmitted end packets of an
   * event should repeat its timestamp, but after rtpengine's transcoding they arrive with
   * advancing ones.
   */
  #event(m: Buffer): void {
    const cc = m[0]! & 0x0f;
    const off = 12 + cc * 4 + ((m[0]! & 0x10) ? 4 + m.readUInt16BE(12 + cc * 4 + 2) * 4 : 0);
    if (m.length < off + 4) return;
    const ev = m[off]!;
    const end = (m[off + 1]! & 0x80) !== 0;
    if (ev > 15) return;
    if ((m[1]! & 0x80) !== 0) this.#open = true;      // marker: a new event starts
    if (!end) {
      this.#open = true;
      return;
    }
    if (!this.#open) return;
    this.#open = false;
    this.digits += '0123456789*#ABCD'[ev];
  }

  static async open(ip: string): Promise<RtpEndpoint> {
    const e = new RtpEndpoint(ip);
    await new Promise<void>((res, rej) => { e.#sock.once('error', rej); e.#sock.bind(0, ip, () => res()); });
    return e;
  }

  get port(): number {
    return this.#sock.address().port;
  }

  count(pt: number): number {
    return this.received.get(pt) ?? 0;
  }

  /**
   * Sends `count` packets of `codec` (under payload type `pt`) to ip:port, one every 20 ms on the
   * clock: a timer tick sends every packet that has come due since the stream began (up to
   * STREAM_BURST at once), so a starved event loop (timers firing every 50-60 ms on a loaded
   * host) does not stretch the stream and leave the far phone short of packets when the call
   * ends on time.
   */
  stream(ip: string, port: number, codec: DemoCodec, pt: number, count: number): void {
    const ssrc = (Math.random() * 0xffffffff) >>> 0;
    const start = performance.now();
    this.stopStream();
    this.#timer = setInterval(() => {
      const due = Math.min(count, Math.floor((performance.now() - start) / 20) + 1);
      for (let k = 0; k < STREAM_BURST && this.sent < due; k++) {
        const i = this.sent++;
        const h = Buffer.alloc(12);
        h[0] = 0x80;
        h[1] = pt & 0x7f;
        h.writeUInt16BE((1000 + i) & 0xffff, 2);
        h.writeUInt32BE((codec.tsStep * i) >>> 0, 4);
        h.writeUInt32BE(ssrc, 8);
        this.#sock.send(Buffer.concat([h, codec.payload(i)]), port, ip);
      }
      if (this.sent >= count) this.stopStream();
    }, 20);
  }

  stopStream(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.stopStream();
    try { this.#sock.close(); } catch { /* closed */ }
  }
}
