// RTP endpoints for the SIP gateway tests: a UDP socket that an SDP (a sipp scenario's rtp_ip /
// rtp_port keys) points at. It counts every RTP packet it receives by payload type, remembers
// where they came from, and sends a paced 20 ms stream in a given codec to where the gateway's
// SDP said (or back to where the gateway's packets come from), so tests check packet counts
// and the codec that arrived, end to end through rtpengine.
import dgram from 'node:dgram';
import { rtp, ulawTone } from '../rtpengine-harness.test.js';

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

/** How a test sends a codec: payload type, 20 ms payload and timestamp step per packet. */
export interface StreamCodec {
  name: string;
  pt: number;
  /** sipp key `codec` for an SDP rtpmap. */
  rtpmap: string;
  tsStep: number;
  payload(i: number): Buffer;
}

/**
 * Payloads: G.711 µ-law carries a real 1 kHz tone; G.722 and G.729 decoders take any bit
 * pattern; Opus gets a valid 20 ms CELT silence frame (TOC 0xf8), which every decoder accepts.
 */
export const CODECS = {
  PCMU: { name: 'PCMU', pt: 0, rtpmap: 'PCMU/8000', tsStep: 160, payload: ulawTone },
  PCMA: { name: 'PCMA', pt: 8, rtpmap: 'PCMA/8000', tsStep: 160, payload: (i: number) => Buffer.from(ulawTone(i).map((b) => b ^ 0x55)) },
  G722: { name: 'G722', pt: 9, rtpmap: 'G722/8000', tsStep: 160, payload: (i: number) => Buffer.alloc(160, (i * 37) & 0xff) },
  opus: { name: 'opus', pt: 111, rtpmap: 'opus/48000/2', tsStep: 960, payload: () => Buffer.from([0xf8, 0xff, 0xfe]) },
  G729: { name: 'G729', pt: 18, rtpmap: 'G729/8000', tsStep: 160, payload: (i: number) => Buffer.alloc(20, (i * 11) & 0xff) },
} satisfies Record<string, StreamCodec>;

export interface Dest { ip: string; port: number }

export class RtpPeer {
  readonly sock = dgram.createSocket('udp4');
  /** Packets received per payload type (RTCP is not counted). */
  readonly byPt = new Map<number, number>();
  /** Packets received per SSRC. */
  readonly bySsrc = new Map<number, number>();
  /** Where the last RTP packet came from (the relay's port for this leg). */
  source: Dest | undefined;
  /** Keep every payload (by payload type) for payloads(); off by default. */
  keepPayloads = false;
  readonly #payloads = new Map<number, Buffer[]>();
  #waiters: (() => boolean)[] = [];
  #streams = new Set<NodeJS.Timeout>();

  private constructor(readonly ip: string) {
    this.sock.on('message', (m, rinfo) => {
      if (m.length < 12 || (m[0]! >> 6) !== 2) return;
      const pt = m[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return; // RTCP on a muxed port
      this.byPt.set(pt, (this.byPt.get(pt) ?? 0) + 1);
      if (this.keepPayloads) {
        const cc = m[0]! & 0x0f;
        const list = this.#payloads.get(pt) ?? [];
        list.push(m.subarray(12 + 4 * cc));
        this.#payloads.set(pt, list);
      }
      const ssrc = m.readUInt32BE(8);
      this.bySsrc.set(ssrc, (this.bySsrc.get(ssrc) ?? 0) + 1);
      this.source = { ip: rinfo.address, port: rinfo.port };
      this.#waiters = this.#waiters.filter((check) => !check());
    });
  }

  /** A bound endpoint on `ip` (ephemeral port), closed at teardown. */
  static async open(t: T, ip: string): Promise<RtpPeer> {
    const p = new RtpPeer(ip);
    await new Promise<void>((r, j) => { p.sock.once('error', j); p.sock.bind(0, ip, () => r()); });
    t.teardown(() => p.close());
    return p;
  }

  /** Payloads received with payload type `pt` (when keepPayloads was on). */
  payloads(pt: number): Buffer[] {
    return this.#payloads.get(pt) ?? [];
  }

  get port(): number {
    return this.sock.address().port;
  }

  count(pt?: number): number {
    if (pt !== undefined) return this.byPt.get(pt) ?? 0;
    let n = 0;
    for (const v of this.byPt.values()) n += v;
    return n;
  }

  /** Resolves once `n` packets (of payload type `pt`) have arrived in total. */
  waitFor(n: number, pt?: number, timeoutMs = 30_000): Promise<void> {
    return new Promise((res, rej) => {
      const check = (): boolean => {
        if (this.count(pt) < n) return false;
        clearTimeout(timer);
        res();
        return true;
      };
      const timer = setTimeout(() => {
        rej(new Error(`${this.ip}:${this.port} received ${this.count(pt)} packets${pt === undefined ? '' : ` of pt ${pt}`} (by pt: ${JSON.stringify([...this.byPt])}), wanted ${n}`));
      }, timeoutMs);
      if (!check()) this.#waiters.push(check);
    });
  }

  /** Resolves with the first packet's source (for a leg whose relay address the test does not know). */
  async learnSource(timeoutMs = 30_000): Promise<Dest> {
    await this.waitFor(1, undefined, timeoutMs);
    return this.source!;
  }

  /**
   * Sends `codec` packets to `to` every 20 ms until `count` are sent (or stop()); returns a
   * handle whose `sent` grows and whose `done` resolves when the stream ends.
   */
  stream(to: Dest, codec: StreamCodec, count = Infinity, ssrc = 0x5a000000 + Math.floor(Math.random() * 0xffff)): { sent: number; done: Promise<void>; stop(): void } {
    let finish!: () => void;
    const h = { sent: 0, done: new Promise<void>((r) => { finish = r; }), stop: (): void => { clearInterval(timer); this.#streams.delete(timer); finish(); } };
    const timer = setInterval(() => {
      if (h.sent >= count) { h.stop(); return; }
      const i = h.sent++;
      this.sock.send(rtp(codec.pt, 1000 + i, codec.tsStep * i, ssrc, codec.payload(i)), to.port, to.ip);
    }, 20);
    this.#streams.add(timer);
    return h;
  }

  close(): void {
    for (const s of this.#streams) clearInterval(s);
    this.#streams.clear();
    try { this.sock.close(); } catch { /* closed already */ }
  }
}
