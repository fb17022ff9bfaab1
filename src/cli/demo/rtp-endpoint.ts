// The demo's phones' media: a UDP socket an SDP points at, sending a paced 20 ms RTP stream (a
// 1 kHz tone in G.711 µ-law, or a codec's payload) and counting what arrives by payload type.
import dgram from 'node:dgram';

export interface DemoCodec {
  name: string;
  /** sipp key `codec`: the SDP rtpmap. */
  rtpmap: string;
  pt: number;
  tsStep: number;
  payload(i: number): Buffer;
}

function linearToUlaw(sample: number): number {
  let sign = 0;
  let s = sample;
  if (s < 0) { sign = 0x80; s = -s; }
  if (s > 32635) s = 32635;
  s += 0x84;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; exp--, mask >>= 1);
  return ~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0f)) & 0xff;
}

/** 20 ms of a 1 kHz tone, µ-law. */
export function ulawTone(i: number): Buffer {
  const b = Buffer.alloc(160);
  for (let k = 0; k < 160; k++) b[k] = linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (i * 160 + k)) / 8000)));
  return b;
}

export const DEMO_CODECS = {
  PCMU: { name: 'PCMU', rtpmap: 'PCMU/8000', pt: 0, tsStep: 160, payload: ulawTone },
  // Any bit pattern is a valid G.722 frame; the demo only counts what arrives.
  G722: { name: 'G722', rtpmap: 'G722/8000', pt: 9, tsStep: 160, payload: (i: number) => Buffer.alloc(160, (i * 37) & 0xff) },
} satisfies Record<string, DemoCodec>;

export class RtpEndpoint {
  readonly #sock = dgram.createSocket('udp4');
  readonly received = new Map<number, number>();
  sent = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(readonly ip: string) {
    this.#sock.on('message', (m) => {
      if (m.length < 12 || (m[0]! >> 6) !== 2) return;
      const pt = m[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return;
      this.received.set(pt, (this.received.get(pt) ?? 0) + 1);
    });
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

  /** Sends `count` packets of `codec` (under payload type `pt`) to ip:port, one every 20 ms. */
  stream(ip: string, port: number, codec: DemoCodec, pt: number, count: number): void {
    const ssrc = (Math.random() * 0xffffffff) >>> 0;
    this.#timer = setInterval(() => {
      if (this.sent >= count) { this.stopStream(); return; }
      const i = this.sent++;
      const h = Buffer.alloc(12);
      h[0] = 0x80;
      h[1] = pt & 0x7f;
      h.writeUInt16BE((1000 + i) & 0xffff, 2);
      h.writeUInt32BE((codec.tsStep * i) >>> 0, 4);
      h.writeUInt32BE(ssrc, 8);
      this.#sock.send(Buffer.concat([h, codec.payload(i)]), port, ip);
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
