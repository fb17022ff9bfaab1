// The PSTN simulator's B-channel audio: per connected call, a native TDM channel on the call's
// timeslot (no echo canceller: the simulator is the far line, not a gateway; in-band DTMF
// detection and the line monitor on) that plays what the simulator sends (tones and speech as
// PCM clips, DTMF through spandsp's generator) and reports what arrives (the monitor's 128 ms
// windows: level, dominant frequency, tonality; detected digits). Nothing here touches a
// sample in steady state: clips are built once per send, and results come back as events.
import { EventEmitter } from 'node:events';
import { MediaError } from '../errors.js';
import type { NativeEvent } from '../ffi/events.js';
import { decodeDspEvent, type DspEvent, type TdmChannelOptions } from '../ffi/tdm.js';
import { synthesize, type SpeechOptions } from './speech.js';
import { tonePcm, type ToneSpec } from './tone-spec.js';

export type SimReport = Record<string, unknown> & { event: string };

/** The native side the simulator's audio needs (TdmBinding and the event reader; fakes in unit tests). */
export interface SimMedia {
  tdm: {
    create(o: TdmChannelOptions): number;
    destroy(handle: number): void;
    play(handle: number, pcm: Int16Array, id: number): void;
    stopPlay(handle: number): void;
    sendDtmf(handle: number, digits: string, onMs?: number, offMs?: number): void;
  };
  events: {
    on(event: 'event', fn: (e: NativeEvent) => void): unknown;
    off(event: 'event', fn: (e: NativeEvent) => void): unknown;
  };
  /** Lets go of the engine (the last user stops one it started). */
  release(): void;
}

/** One monitor window of what arrived on a call's B-channel. */
export interface SimAudioWindow {
  leg: string;
  channel: number;
  /** Line sample counter at the end of the window (8 kHz). */
  sample: number;
  levelDbm0: number;
  freqHz: number;
  peakDbm0: number;
  tonality: number;
}

/** A digit detected in-band on a call's B-channel (at its end). */
export interface SimDigit {
  leg: string;
  digit: string;
  durationMs: number;
}

const SILENCE_DBM0 = -50;
const TONAL = 0.85;
const SAME_TONE_HZ = 15;

type Kind = 'silence' | 'tone' | 'sound';

interface Segment {
  kind: Kind;
  windows: SimAudioWindow[];
}

interface Chan {
  leg: string;
  handle: number;
  timeslot: number;
  seg: Segment | undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
}

function classify(w: SimAudioWindow): Kind {
  if (w.levelDbm0 < SILENCE_DBM0) return 'silence';
  return w.tonality >= TONAL ? 'tone' : 'sound';
}

export interface SimAudioEvents {
  audio: [SimAudioWindow];
  dtmf: [SimDigit];
  /** JSON-line reports: 'audio' segments (with reportAudio), 'dtmf' digits, 'sent'. */
  report: [SimReport];
}

export class SimAudio extends EventEmitter<SimAudioEvents> {
  readonly #media: SimMedia;
  readonly #reportAudio: boolean;
  readonly #byLeg = new Map<string, Chan>();
  readonly #byHandle = new Map<number, Chan>();
  readonly #plays = new Map<number, { leg: string; resolve: () => void; reject: (e: Error) => void }>();
  #clipId = 0;
  #closed = false;
  readonly #onEvent = (e: NativeEvent): void => {
    const d = decodeDspEvent(e);
    if (d) this.#dispatch(d);
  };

  constructor(media: SimMedia, o: { reportAudio?: boolean } = {}) {
    super();
    this.#media = media;
    this.#reportAudio = o.reportAudio ?? false;
    media.events.on('event', this.#onEvent);
  }

  /** Opens the call's B-channel audio (once the call is connected). */
  attach(leg: string, span: number, timeslot: number): void {
    if (this.#closed) throw new MediaError('sim audio closed');
    if (this.#byLeg.has(leg)) return;
    const handle = this.#media.tdm.create({ span, timeslot, echoCanceller: false, dtmfDetect: true, monitor: true });
    const c: Chan = { leg, handle, timeslot, seg: undefined };
    this.#byLeg.set(leg, c);
    this.#byHandle.set(handle, c);
  }

  has(leg: string): boolean {
    return this.#byLeg.has(leg);
  }

  /** Closes the call's audio: the last segment is reported, sends in progress fail. */
  detach(leg: string): void {
    const c = this.#byLeg.get(leg);
    if (!c) return;
    this.#flush(c);
    this.#byLeg.delete(leg);
    this.#byHandle.delete(c.handle);
    for (const [id, p] of this.#plays) {
      if (p.leg !== leg) continue;
      this.#plays.delete(id);
      p.reject(new MediaError(`call ${leg} ended while playing`));
    }
    try {
      this.#media.tdm.destroy(c.handle);
    } catch {
      /* already gone with its span */
    }
  }

  /** Plays a tone on the call; resolves when it has been played. */
  async sendTone(leg: string, t: ToneSpec): Promise<void> {
    await this.#play(leg, tonePcm(t));
    this.emit('report', { event: 'sent', leg, what: 'tone', freqHz: t.freqHz, levelDbm0: t.levelDbm0, ms: t.ms });
  }

  /** Sends digits in-band (spandsp's generator, -10 dBm0 low tone); resolves after the last digit. */
  async sendDtmf(leg: string, digits: string, onMs = 80, offMs = 80): Promise<void> {
    const c = this.#chan(leg);
    this.#media.tdm.sendDtmf(c.handle, digits, onMs, offMs);
    // The generator reports nothing back: the digits take their own time on the line.
    await new Promise((r) => setTimeout(r, digits.length * (onMs + offMs) + 40));
    this.emit('report', { event: 'sent', leg, what: 'dtmf', digits });
  }

  /** Speaks `text` on the call (espeak-ng); resolves when it has been played. */
  async say(leg: string, text: string, o: SpeechOptions = {}): Promise<void> {
    this.#chan(leg);
    const pcm = await synthesize(text, o);
    await this.#play(leg, pcm);
    this.emit('report', { event: 'sent', leg, what: 'speech', text, ms: Math.round(pcm.length / 8) });
  }

  close(): void {
    if (this.#closed) return;
    for (const leg of [...this.#byLeg.keys()]) this.detach(leg);
    this.#closed = true;
    this.#media.events.off('event', this.#onEvent);
    this.#media.release();
  }

  #chan(leg: string): Chan {
    const c = this.#byLeg.get(leg);
    if (!c) throw new MediaError(`call ${leg} has no B-channel audio (not connected?)`);
    return c;
  }

  #play(leg: string, pcm: Int16Array): Promise<void> {
    const c = this.#chan(leg);
    const id = (this.#clipId = (this.#clipId + 1) >>> 0 || 1);
    return new Promise<void>((resolve, reject) => {
      this.#plays.set(id, { leg, resolve, reject });
      try {
        this.#media.tdm.play(c.handle, pcm, id);
      } catch (e) {
        this.#plays.delete(id);
        reject(e as Error);
      }
    });
  }

  #dispatch(d: DspEvent): void {
    if (d.kind === 'play-end') {
      const p = this.#plays.get(d.id);
      if (!p) return;
      this.#plays.delete(d.id);
      if (d.stopped) p.reject(new MediaError(`clip ${d.id} stopped after ${d.played} samples`));
      else p.resolve();
      return;
    }
    const c = this.#byHandle.get(d.channel);
    if (!c) return;
    if (d.kind === 'dtmf-end') {
      const digit: SimDigit = { leg: c.leg, digit: d.digit, durationMs: d.durationMs };
      this.emit('dtmf', digit);
      this.emit('report', { event: 'dtmf', ...digit });
    } else if (d.kind === 'audio') {
      const w: SimAudioWindow = {
        leg: c.leg, channel: c.timeslot, sample: d.sample, levelDbm0: d.levelDbm0, freqHz: d.freqHz, peakDbm0: d.peakDbm0,
        tonality: d.tonality,
      };
      this.emit('audio', w);
      this.#segment(c, w);
    }
  }

  /** Groups windows into segments (silence, a steady tone, other sound) for the reports. */
  #segment(c: Chan, w: SimAudioWindow): void {
    if (!this.#reportAudio) return;
    const kind = classify(w);
    const s = c.seg;
    const same = s !== undefined && s.kind === kind &&
      (kind !== 'tone' || Math.abs(median(s.windows.map((x) => x.freqHz)) - w.freqHz) <= SAME_TONE_HZ);
    if (!same) {
      this.#flush(c);
      c.seg = { kind, windows: [] };
    }
    c.seg!.windows.push(w);
  }

  #flush(c: Chan): void {
    const s = c.seg;
    c.seg = undefined;
    if (!s || !this.#reportAudio || s.windows.length === 0) return;
    const ws = s.windows;
    const r: SimReport = { event: 'audio', leg: c.leg, kind: s.kind, ms: ws.length * 128, windows: ws.length };
    if (s.kind === 'tone') {
      r.freqHz = Math.round(median(ws.map((x) => x.freqHz)) * 10) / 10;
      r.levelDbm0 = Math.round(median(ws.map((x) => x.levelDbm0)) * 10) / 10;
    } else {
      // energy average over the segment, and its loudest window
      const mean = ws.reduce((a, x) => a + 10 ** (x.levelDbm0 / 10), 0) / ws.length;
      r.levelDbm0 = Math.round(10 * Math.log10(mean) * 10) / 10;
      r.maxDbm0 = Math.max(...ws.map((x) => x.levelDbm0));
    }
    this.emit('report', r);
  }
}
