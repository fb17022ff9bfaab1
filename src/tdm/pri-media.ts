// The B-channel media of one PriLeg: a native TDM channel on the call's timeslot (echo
// canceller on by default, in-band DTMF detection, call-progress tones, gain). PRI⇄PRI calls
// bridge two such channels natively (timeslot bridge, no RTP); PRI⇄SIP calls join the channel
// to the call's RTP endpoint (pri-rtp.ts). The native channel is created
// when the call has its B-channel and destroyed exactly once when the leg ends.
import type { ToneKind, TdmChannelOptions, TdmStatsValues } from '../ffi/tdm.js';

/** What a PriMedia needs of the native TDM API (TdmBinding; a fake in unit tests). */
export interface TdmApi {
  ensureEngine(): void;
  create(o: TdmChannelOptions): number;
  destroy(h: number): void;
  bridge(a: number, b: number): void;
  unbridge(h: number): void;
  setRtp(h: number, rtp: number): void;
  tone(h: number, kind: ToneKind | null): void;
  sendDtmf(h: number, digits: string, onMs?: number, offMs?: number): void;
  stats(h: number): TdmStatsValues;
}

/** Per-span channel settings (from tdm.spans). */
export interface PriMediaSettings {
  echoTailMs: number;
  /** Native tone plan ('us', 'uk', 'de', 'eu'). */
  tonePlan: string;
  /** How long a refused call hears its busy/congestion tone before the DISCONNECT (0: none). */
  rejectToneMs?: number;
}

export class PriMedia {
  readonly handle: number;
  #released = false;
  #bridged: PriMedia | undefined;
  #tone: ToneKind | undefined;
  #wasBridged = false;
  readonly rejectToneMs: number;
  #rtp = 0;

  constructor(private readonly api: TdmApi, span: number, timeslot: number, s: PriMediaSettings) {
    this.rejectToneMs = s.rejectToneMs ?? 0;
    this.handle = api.create({
      span, timeslot, echoCanceller: s.echoTailMs > 0, ecTailMs: s.echoTailMs > 0 ? Math.min(256, Math.max(16, s.echoTailMs)) : 0,
      country: s.tonePlan,
    });
  }

  get released(): boolean { return this.#released; }
  get bridgedTo(): PriMedia | undefined { return this.#bridged; }
  get tone(): ToneKind | undefined { return this.#tone; }
  /** True once the channel has been bridged to another call's (the far side's audio reached it). */
  get wasBridged(): boolean { return this.#wasBridged; }
  /** The RTP endpoint the channel is joined to (PRI⇄SIP), 0 for none. */
  get rtp(): number { return this.#rtp; }

  /**
   * Joins the timeslot to an RTP endpoint (PRI⇄SIP): the line goes out encoded through it and
   * its decoded stream comes to the line; tones still play over it. Idempotent.
   */
  joinRtp(rtp: number): void {
    if (this.#released || this.#rtp === rtp) return;
    this.api.setRtp(this.handle, rtp);
    this.#rtp = rtp;
  }

  /** Joins this timeslot to another call's (PSTN⇄PBX pass-through); stops local tones first. */
  bridge(other: PriMedia): void {
    if (this.#released || other.#released || this.#bridged === other) return;
    this.playTone(undefined);
    other.playTone(undefined);
    this.api.bridge(this.handle, other.handle);
    this.#bridged = other;
    other.#bridged = this;
    this.#wasBridged = true;
    other.#wasBridged = true;
  }

  /** Plays a call-progress tone toward the line (undefined stops it). */
  playTone(kind: ToneKind | undefined): void {
    if (this.#released || this.#tone === kind) return;
    this.api.tone(this.handle, kind ?? null);
    this.#tone = kind;
  }

  /**
   * In-band DTMF toward the line (RFC 4733 / SIP INFO digits from the other leg). A bridged
   * channel already carries the other line's own tones: regenerating the digit it detected
   * there would play it twice, overlapping, and the far receiver would see it doubled or garbled.
   */
  sendDtmf(digit: string, durationMs: number): void {
    if (this.#released || this.#bridged) return;
    const on = Math.min(1000, Math.max(40, durationMs || 80));
    this.api.sendDtmf(this.handle, digit, on, 60);
  }

  stats(): TdmStatsValues | undefined {
    return this.#released ? undefined : this.api.stats(this.handle);
  }

  /** Destroys the native channel (breaking its bridge); idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#bridged) this.#bridged.#bridged = undefined;
    this.#bridged = undefined;
    this.#rtp = 0;
    this.api.destroy(this.handle);
  }
}
