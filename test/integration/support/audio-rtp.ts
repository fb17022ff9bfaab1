// A SIP phone's media for the PRI⇄SIP tests: a UDP socket that an SDP points at, which decodes
// the G.711 it receives (PCMU or PCMA, by payload type) into a sample log with arrival times,
// records RFC 4733 telephone-events, sends a paced 20 ms stream of a tone (frequency and level
// in dBm0, G.711 either law) or silence, and sends RFC 4733 digits. The analysis gives the
// level (dBm0, full-scale sine = +3.14 dBm0 as in the native line monitor), the frequency
// (interpolated zero crossings over the window) and the share of the window's energy at that
// frequency (Goertzel), so tests check what a listener would hear.
import dgram from 'node:dgram';
import { alawToLinear, linearToAlaw, linearToUlaw, ulawToLinear } from '../../../src/media/g711.js';

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

export interface Dest { ip: string; port: number }

export type Law = 'PCMU' | 'PCMA';
const FULL_SCALE_DBM0 = 3.14;

/** Amplitude (16-bit) of a sine at `dbm0`. */
export function amplitudeFor(dbm0: number): number {
  return 32767 * 10 ** ((dbm0 - FULL_SCALE_DBM0) / 20);
}

export interface ToneAnalysis {
  samples: number;
  levelDbm0: number;
  freqHz: number;
  /** Energy at freqHz (Goertzel) over the window's energy, 0..1. */
  tonality: number;
}

/** Level, frequency and tonality of a block of 8 kHz samples. */
export function analyse(x: Int16Array | number[]): ToneAnalysis {
  const n = x.length;
  let ms = 0;
  for (let i = 0; i < n; i++) ms += x[i]! * x[i]!;
  ms /= Math.max(1, n);
  const levelDbm0 = ms > 0 ? FULL_SCALE_DBM0 + 10 * Math.log10(ms / ((32767 * 32767) / 2)) : -99;
  // Rising zero crossings, interpolated between samples.
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < n; i++) {
    const a = x[i - 1]!;
    const b = x[i]!;
    if (a < 0 && b >= 0) {
      const at = i - 1 + -a / (b - a);
      if (first < 0) first = at;
      else count++;
      last = at;
    }
  }
  const freqHz = count > 0 ? (count * 8000) / (last - first) : 0;
  // Goertzel at that frequency: 2|X(f)|²/N² is the power of the sinusoid, ms the total.
  let s1 = 0;
  let s2 = 0;
  const w = (2 * Math.PI * freqHz) / 8000;
  const c = 2 * Math.cos(w);
  for (let i = 0; i < n; i++) {
    const s0 = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  const tonality = ms > 0 && freqHz > 0 ? Math.min(1, (2 * power) / (n * n) / ms) : 0;
  return { samples: n, levelDbm0, freqHz, tonality };
}

/**
 * A tone in a received sample log: the 20 ms frames above −30 dBm0 (without the first and last
 * five, the edges), analysed in 100 ms blocks; medians of the blocks, so a packet lost or
 * concealed on the way shifts one block, not the result.
 */
export function toneStats(samples: number[]): { frames: number; freqHz: number; levelDbm0: number; tonality: number; blocks: ToneAnalysis[] } {
  const loud: number[][] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    const f = samples.slice(i, i + 160);
    if (analyse(f).levelDbm0 > -30) loud.push(f);
  }
  const mid = loud.slice(5, Math.max(5, loud.length - 5));
  const blocks: ToneAnalysis[] = [];
  for (let i = 0; i + 5 <= mid.length; i += 5) blocks.push(analyse(mid.slice(i, i + 5).flat()));
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1] ?? NaN;
  return {
    frames: loud.length, freqHz: med(blocks.map((b) => b.freqHz)), levelDbm0: med(blocks.map((b) => b.levelDbm0)),
    tonality: med(blocks.map((b) => b.tonality)), blocks,
  };
}

/** A block list for a failure message: tonality@Hz/dBm0 of each 100 ms block. */
export function blockSummary(blocks: ToneAnalysis[]): string {
  return blocks.map((b) => `${b.tonality.toFixed(2)}@${b.freqHz.toFixed(0)}/${b.levelDbm0.toFixed(1)}`).join(' ');
}

export interface TelephoneEvent { event: number; end: boolean; durationTs: number; ts: number }

/** RFC 4733 event codes of DTMF digits. */
export const DTMF_EVENTS = '0123456789*#ABCD';

export class AudioRtpPeer {
  readonly sock = dgram.createSocket('udp4');
  /** Decoded samples in arrival order (G.711 packets only). */
  readonly samples: number[] = [];
  /** RFC 4733 packets received, in order. */
  readonly events: TelephoneEvent[] = [];
  /** G.711 packets whose sequence number was not the one after the last (lost, reordered or a
   * new stream): where in `samples` they start, and the jump. */
  readonly seqJumps: { at: number; jump: number }[] = [];
  #lastSeq = -1;
  /** Payload types seen. */
  readonly pts = new Map<number, number>();
  source: Dest | undefined;
  #waiters: (() => boolean)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #seq = Math.floor(Math.random() * 1000);
  #ts = Math.floor(Math.random() * 100000);
  readonly #ssrc = 0x51000000 + Math.floor(Math.random() * 0xffff);
  /** What the stream sends now: a tone (Hz, dBm0) or silence; digits interleave as RFC 4733. */
  #tone: { freqHz: number; levelDbm0: number } | undefined;
  #phase = 0;
  /** Audio packets still to send before the next digit. */
  #gap = 0;
  #digits: { event: number; packets: number; sent: number; ts: number; ends: number; resolve: () => void }[] = [];

  private constructor(readonly ip: string) {
    this.sock.on('message', (m, rinfo) => {
      if (m.length < 12 || (m[0]! >> 6) !== 2) return;
      const pt = m[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return;
      this.pts.set(pt, (this.pts.get(pt) ?? 0) + 1);
      this.source = { ip: rinfo.address, port: rinfo.port };
      const cc = m[0]! & 0x0f;
      const off = 12 + 4 * cc;
      const body = m.subarray(off);
      if (pt === 0 || pt === 8) {
        const seq = m.readUInt16BE(2);
        if (this.#lastSeq >= 0 && seq !== ((this.#lastSeq + 1) & 0xffff)) this.seqJumps.push({ at: this.samples.length, jump: ((seq - this.#lastSeq + 0x10000) & 0xffff) - 1 });
        this.#lastSeq = seq;
        const dec = pt === 0 ? ulawToLinear : alawToLinear;
        for (const b of body) this.samples.push(dec(b));
      } else if (body.length >= 4) {
        this.events.push({ event: body[0]!, end: (body[1]! & 0x80) !== 0, durationTs: body.readUInt16BE(2), ts: m.readUInt32BE(4) });
      }
      this.#waiters = this.#waiters.filter((check) => !check());
    });
  }

  static async open(t: T, ip: string): Promise<AudioRtpPeer> {
    const p = new AudioRtpPeer(ip);
    await new Promise<void>((r, j) => { p.sock.once('error', j); p.sock.bind(0, ip, () => r()); });
    t.teardown(() => p.close());
    return p;
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** Resolves when `pred` holds (checked on every packet), rejects after timeoutMs. */
  waitUntil(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((res, rej) => {
      const check = (): boolean => {
        if (!pred()) return false;
        clearTimeout(timer);
        res();
        return true;
      };
      const timer = setTimeout(() => rej(new Error(`${this.ip}:${this.port}: timed out waiting for ${what} (pts ${JSON.stringify([...this.pts])}, ${this.samples.length} samples, ${this.events.length} events)`)), timeoutMs);
      if (!check()) this.#waiters.push(check);
    });
  }

  /** Digits received as RFC 4733 (one per event, on its first end packet). */
  digits(): string {
    const out: string[] = [];
    let lastTs = -1;
    for (const e of this.events) {
      if (!e.end || e.ts === lastTs) continue;
      lastTs = e.ts;
      out.push(DTMF_EVENTS[e.event] ?? '?');
    }
    return out.join('');
  }

  /**
   * Starts a paced 20 ms stream to `to` in `law` under payload type `pt` (silence until
   * tone()); with `dtmfPt`, digits go as RFC 4733 events.
   */
  stream(to: Dest, law: Law, pt: number, dtmfPt = 101): void {
    this.stop();
    const enc = law === 'PCMU' ? linearToUlaw : linearToAlaw;
    // Paced on the clock (Node timers run late): every packet that is due goes out, at most
    // three at once after a stall, so the far jitter buffer sees 50 packets a second.
    let next = performance.now();
    this.#timer = setInterval(() => {
      for (let k = 0; k < 3 && performance.now() >= next; k++) {
        next += 20;
        this.#packet(to, enc, pt, dtmfPt);
      }
      if (performance.now() > next + 100) next = performance.now();
    }, 5);
  }

  #packet(to: Dest, enc: (s: number) => number, pt: number, dtmfPt: number): void {
    {
      const d = this.#gap > 0 ? undefined : this.#digits[0];
      if (d) {
        // RFC 4733 §2.5: one event (the timestamp of its start), the duration growing every
        // packet, then three end packets with the final duration.
        if (d.sent === 0) d.ts = this.#ts;
        const end = d.sent >= d.packets;
        const dur = Math.min(0xffff, (Math.min(d.sent, d.packets - 1) + 1) * 160);
        const body = Buffer.from([d.event, (end ? 0x80 : 0) | 10, dur >> 8, dur & 0xff]);
        this.#send(to, dtmfPt, d.ts, body, d.sent === 0);
        d.sent++;
        if (end && ++d.ends >= 3) {
          this.#digits.shift();
          this.#ts += (d.packets + 3) * 160;
          this.#gap = 4;                      // 80 ms of audio between digits, as a phone does
          d.resolve();
        }
        return;
      }
      if (this.#gap > 0) this.#gap--;
      const b = Buffer.alloc(160);
      const a = this.#tone ? amplitudeFor(this.#tone.levelDbm0) : 0;
      const w = this.#tone ? (2 * Math.PI * this.#tone.freqHz) / 8000 : 0;
      for (let k = 0; k < 160; k++) {
        b[k] = enc(Math.round(a * Math.sin(this.#phase)));
        this.#phase += w;
      }
      this.#phase %= 2 * Math.PI;
      this.#send(to, pt, this.#ts, b, false);
      this.#ts += 160;
    }
  }

  /** What the stream carries from now on: a tone, or silence (undefined). */
  tone(t: { freqHz: number; levelDbm0: number } | undefined): void {
    this.#tone = t;
  }

  /** Sends one digit as RFC 4733 (durationMs of event), resolves after its end packets. */
  sendDigit(digit: string, durationMs = 120): Promise<void> {
    const event = DTMF_EVENTS.indexOf(digit);
    if (event < 0) throw new Error(`not a DTMF digit: ${digit}`);
    return new Promise((resolve) => {
      this.#digits.push({ event, packets: Math.max(2, Math.round(durationMs / 20)), sent: 0, ts: this.#ts, ends: 0, resolve });
    });
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.stop();
    try { this.sock.close(); } catch { /* closed already */ }
  }

  #send(to: Dest, pt: number, ts: number, body: Buffer, marker: boolean): void {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (marker ? 0x80 : 0) | pt;
    this.#seq = (this.#seq + 1) & 0xffff;
    h.writeUInt16BE(this.#seq, 2);
    h.writeUInt32BE(ts >>> 0, 4);
    h.writeUInt32BE(this.#ssrc, 8);
    this.sock.send(Buffer.concat([h, body]), to.port, to.ip);
  }
}
