// The PSTN (network side) or PBX (user side) end of a span, for `spangate sim pstn` and tests:
// one span through its own SpanManager, calls placed with given numbers, incoming calls
// answered or refused by a policy or by command, and everything reported as plain objects
// (the CLI prints them as JSON lines). With `media`, every connected call also carries audio
// on its B-channel (sim-audio.ts): tones, in-band DTMF and speech sent on command, and what
// arrived reported (monitor windows as 'audio' events, digits as 'dtmf', segments as reports).
import { EventEmitter } from 'node:events';
import { AdminMethods } from '../admin/index.js';
import { Cause, causeText } from '../call/causes.js';
import type { SpangateConfig } from '../config/index.js';
import { MediaError } from '../errors.js';
import type { TdmSpanConfig } from '../config/schema/tdm.js';
import type { Ton } from '../ffi/pri.js';
import { SPAN_INJECT_KINDS, type SpanInjectKind } from '../ffi/span.js';
import type { PriLeg } from './pri-leg.js';
import { SimAudio, type SimAudioWindow, type SimDigit, type SimMedia, type SimReport } from './sim-audio.js';
import { parseTone, type ToneSpec } from './tone-spec.js';
import { SpanManager, type SpanView, type TdmLogger, type TdmNative } from './span-manager.js';

export type { SimAudioWindow, SimDigit, SimMedia, SimReport, ToneSpec };

/** What the simulator does with an incoming call. */
export type IncomingPolicy = { action: 'answer'; delayMs?: number } | { action: 'ring' } | { action: 'reject'; cause: number };

export interface SimOptions {
  span: TdmSpanConfig;
  native: () => TdmNative;
  incoming?: IncomingPolicy;
  log?: TdmLogger;
  /** B-channel audio for connected calls (loadSimMedia); without it the sim is signalling only. */
  media?: () => SimMedia;
  /** Report what arrives as 'audio' segments (silence, tone, sound) besides the 'audio' events. */
  reportAudio?: boolean;
}

export interface SimCallRequest {
  calling: string;
  called: string;
  callingName?: string;
  callingTon?: Ton;
  calledTon?: Ton;
  restricted?: boolean;
  channel?: number;
  exclusive?: boolean;
}

const quiet: TdmLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

export interface PstnSimEvents {
  report: [SimReport];
  /** A monitor window (128 ms) of what arrived on a connected call's B-channel. */
  audio: [SimAudioWindow];
  /** A digit detected in-band on a connected call's B-channel. */
  dtmf: [SimDigit];
}

export class PstnSim extends EventEmitter<PstnSimEvents> {
  readonly manager: SpanManager;
  readonly #legs = new Map<string, PriLeg>();
  readonly #span: TdmSpanConfig;
  readonly #o: SimOptions;
  #policy: IncomingPolicy;
  #audio: SimAudio | undefined;

  constructor(o: SimOptions) {
    super();
    this.#span = o.span;
    this.#o = o;
    this.#policy = o.incoming ?? { action: 'ring' };
    const config = { spans: [o.span] } as unknown as SpangateConfig['tdm'];
    this.manager = new SpanManager({ config, native: o.native, admin: new AdminMethods(), log: o.log ?? quiet });
    this.manager.on('incoming', (leg) => this.#incoming(leg));
    this.manager.on('span', (ev) => {
      const { kind, ...rest } = ev;
      this.#report({ event: kind.replace(/^(pri|span)\./, ''), ...rest, span: this.#span.id });
    });
  }

  async start(): Promise<void> {
    await this.manager.start();
    if (this.#o.media) {
      const audio = (this.#audio = new SimAudio(this.#o.media(), { reportAudio: this.#o.reportAudio }));
      audio.on('report', (r) => this.#report(r));
      audio.on('audio', (w) => this.emit('audio', w));
      audio.on('dtmf', (d) => this.emit('dtmf', d));
    }
    const v = this.manager.show()[0];
    this.#report({ event: 'opened', span: this.#span.id, local: v?.local, remote: v?.remote, side: this.#span.side });
  }

  /** Resolves when the D-channel is up and the line has no alarm (rejects after timeoutMs). */
  waitUp(timeoutMs = 30_000): Promise<void> {
    return this.manager.waitAllUp(timeoutMs);
  }

  /** Resolves with the first report matching `pred` from now on (or at once when `already` says so). */
  waitFor(pred: (r: SimReport) => boolean, timeoutMs = 30_000, already?: () => boolean): Promise<SimReport | undefined> {
    if (already?.()) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('report', on);
        reject(new Error(`sim ${this.#span.id}: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (r: SimReport): void => {
        if (!pred(r)) return;
        clearTimeout(timer);
        this.off('report', on);
        resolve(r);
      };
      this.on('report', on);
    });
  }

  setPolicy(p: IncomingPolicy): void {
    this.#policy = p;
  }

  /** Places a call; returns the leg id. Progress, answer and hangup come as reports. */
  async call(req: SimCallRequest): Promise<string> {
    const leg = this.manager.createLeg(this.#span.trunk);
    this.#track(leg);
    await leg.originate({
      calling: req.calling, called: req.called, callingName: req.callingName, callingTon: req.callingTon,
      calledTon: req.calledTon, callingPresentation: req.restricted ? 'restricted' : 'allowed',
      channel: req.channel, exclusive: req.exclusive,
    });
    this.#report({ event: 'setup', leg: leg.id, call: leg.callHandle, calling: req.calling, called: req.called });
    return leg.id;
  }

  async answer(legId: string): Promise<void> {
    const leg = this.#leg(legId);
    await leg.answer();
    this.#attachAudio(leg);
    this.#report({ event: 'connect', leg: legId });
  }

  /** Plays a tone on a connected call; resolves once it has been played. */
  async sendTone(legId: string, t: ToneSpec): Promise<void> {
    await this.#media().sendTone(legId, t);
  }

  /** Sends DTMF in-band on a connected call; resolves after the last digit. */
  async sendDtmf(legId: string, digits: string, onMs?: number, offMs?: number): Promise<void> {
    await this.#media().sendDtmf(legId, digits, onMs, offMs);
  }

  /** Speaks `text` (espeak-ng) on a connected call; resolves once it has been played. */
  async say(legId: string, text: string, voice?: string): Promise<void> {
    await this.#media().say(legId, text, { voice });
  }

  #media(): SimAudio {
    if (!this.#audio) throw new MediaError(`sim ${this.#span.id} has no B-channel audio (no media)`);
    return this.#audio;
  }

  /** The call's B-channel audio, once the call has a channel (idempotent). */
  #attachAudio(leg: PriLeg): void {
    const span = this.manager.show()[0]?.handle;
    if (!this.#audio || leg.isEnded || !leg.channel || span === undefined) return;
    try {
      this.#audio.attach(leg.id, span, leg.channel);
    } catch (e) {
      this.#report({ event: 'error', leg: leg.id, message: `B-channel audio: ${(e as Error).message}` });
    }
  }

  async ring(legId: string): Promise<void> {
    await this.#leg(legId).progress({ ringing: true });
    this.#report({ event: 'alerting', leg: legId });
  }

  async hangup(legId: string, cause: number = Cause.NORMAL_CLEARING): Promise<void> {
    await this.#leg(legId).hangup(cause);
  }

  legs(): string[] {
    return [...this.#legs.keys()];
  }

  show(): SpanView | undefined {
    return this.manager.show()[0];
  }

  /** Sends RESTART for the whole span (channel 0) or one B-channel: the calls on it clear with 41. */
  restart(channel = 0): void {
    this.manager.restart(this.#span.id, channel);
    this.#report({ event: 'restart-sent', span: this.#span.id, channel });
  }

  /**
   * Injects a fault toward the far end: 'raw' D-channel octets (HDLC garbage: bad FCS, aborts,
   * short frames), one 'frame' with a good FCS (malformed Q.921/Q.931), or 'mangle' the next
   * I-frame ([offset, value, truncate]).
   */
  inject(kind: SpanInjectKind, data: Uint8Array): void {
    this.manager.inject(this.#span.id, kind, data);
    this.#report({ event: 'injected', span: this.#span.id, kind, octets: data.length });
  }

  /** Pulls the cable: the span stops sending without any signalling; the far end raises LOS. */
  async pullCable(): Promise<void> {
    for (const id of this.#legs.keys()) this.#audio?.detach(id);   // channels pin the span
    await this.manager.stop({ signal: false });
    this.#report({ event: 'cable-pulled', span: this.#span.id });
  }

  async close(): Promise<void> {
    this.#audio?.close();
    this.#audio = undefined;
    await this.manager.stop();
    this.#report({ event: 'closed', span: this.#span.id });
  }

  /**
   * Runs one command of the JSON-lines control protocol (`spangate sim pstn` reads them on stdin):
   * {"cmd":"call","calling":"..","called":"..",...}, {"cmd":"answer"|"ring","leg":".."},
   * {"cmd":"hangup","leg":"..","cause":16}, {"cmd":"policy","incoming":{"action":"reject","cause":17}},
   * {"cmd":"show"}, {"cmd":"pull-cable"}, {"cmd":"restart","channel":0}, {"cmd":"inject","kind":"raw"|"frame"|"mangle","hex":"7e12.."},
   * and on connected calls {"cmd":"tone","leg":"..","tone":"1004@-10:2000"},
   * {"cmd":"dtmf","leg":"..","digits":"159#"}, {"cmd":"say","leg":"..","text":".."}.
   * Answers with a report; bad input is reported, never thrown.
   */
  async command(c: Record<string, unknown>): Promise<void> {
    const str = (k: string): string => {
      const v = c[k];
      if (typeof v !== 'string' || v === '') throw new Error(`${k} must be a non-empty string`);
      return v;
    };
    try {
      switch (c.cmd) {
        case 'call':
          await this.call({
            calling: str('calling'), called: str('called'),
            callingName: typeof c.callingName === 'string' ? c.callingName : undefined,
            restricted: c.restricted === true,
            channel: typeof c.channel === 'number' ? c.channel : undefined,
            exclusive: c.exclusive === true,
          });
          return;
        case 'answer': await this.answer(str('leg')); return;
        case 'ring': await this.ring(str('leg')); return;
        case 'hangup': await this.hangup(str('leg'), typeof c.cause === 'number' ? c.cause : Cause.NORMAL_CLEARING); return;
        case 'policy': this.setPolicy(parsePolicy(c.incoming)); this.#report({ event: 'policy', incoming: c.incoming }); return;
        case 'show': this.#report({ event: 'show', span: this.show() }); return;
        case 'pull-cable': await this.pullCable(); return;
        case 'restart': this.restart(typeof c.channel === 'number' ? c.channel : 0); return;
        case 'inject': {
          const kind = str('kind');
          if (!(kind in SPAN_INJECT_KINDS)) throw new Error('kind must be raw, frame or mangle');
          const hex = str('hex').replace(/\s+/g, '');
          if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new Error('hex must be pairs of hex digits');
          this.inject(kind as SpanInjectKind, Buffer.from(hex, 'hex'));
          return;
        }
        case 'tone': await this.sendTone(str('leg'), parseTone(str('tone'))); return;
        case 'dtmf': await this.sendDtmf(str('leg'), str('digits')); return;
        case 'say': await this.say(str('leg'), str('text'), typeof c.voice === 'string' ? c.voice : undefined); return;
        default: throw new Error(`unknown cmd ${JSON.stringify(c.cmd)} (call, answer, ring, hangup, policy, show, pull-cable, restart, inject, tone, dtmf, say)`);
      }
    } catch (e) {
      this.#report({ event: 'error', cmd: c.cmd, message: (e as Error).message });
    }
  }

  #leg(id: string): PriLeg {
    const l = this.#legs.get(id);
    if (!l) throw new Error(`no call ${id} on sim ${this.#span.id}`);
    return l;
  }

  #track(leg: PriLeg): void {
    this.#legs.set(leg.id, leg);
    // Audio from the moment the B-channel is known: ringback or announcements sent in-band
    // before the answer are reported too.
    leg.on('progress', (p) => {
      this.#attachAudio(leg);
      this.#report({
        event: p.ringing ? 'ringing' : 'progress', leg: leg.id, channel: leg.channel,
        ...(leg.progressCause ? { cause: leg.progressCause, causeText: causeText(leg.progressCause) } : {}),
      });
    });
    leg.on('early-media', () => {
      this.#attachAudio(leg);
      this.#report({ event: 'early-media', leg: leg.id, channel: leg.channel });
    });
    leg.on('answer', () => {
      this.#attachAudio(leg);
      this.#report({ event: 'answer', leg: leg.id, channel: leg.channel });
    });
    leg.on('dtmf', (d) => this.#report({ event: 'digits', leg: leg.id, digit: d.digit }));
    leg.on('hangup', (h) => {
      this.#audio?.detach(leg.id);
      this.#legs.delete(leg.id);
      this.#report({ event: 'hangup', leg: leg.id, cause: h.cause, causeText: causeText(h.cause), by: h.by });
    });
  }

  #incoming(leg: PriLeg): void {
    this.#track(leg);
    const cp = leg.callingParty;
    this.#report({
      event: 'incoming', leg: leg.id, call: leg.callHandle, channel: leg.channel, calling: leg.calling, called: leg.called,
      callingName: cp?.name ?? '', callingTon: cp?.ton, callingNpi: cp?.npi, presentation: cp?.presentation,
      calledTon: leg.calledParty?.ton,
    });
    const p = this.#policy;
    if (p.action !== 'reject') this.#attachAudio(leg);
    const act = async (): Promise<void> => {
      if (p.action === 'reject') await leg.reject(p.cause);
      else if (p.action === 'answer') {
        await this.ring(leg.id);
        if (p.delayMs) await new Promise((r) => setTimeout(r, p.delayMs));
        if (!leg.isEnded) await this.answer(leg.id);
      }
    };
    act().catch((e: Error) => this.#report({ event: 'error', leg: leg.id, message: e.message }));
  }

  #report(r: SimReport): void {
    this.emit('report', r);
  }
}

/** An incoming-call policy from JSON: {"action":"answer"} | {"action":"ring"} | {"action":"reject","cause":17}. */
export function parsePolicy(v: unknown): IncomingPolicy {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (o.action === 'answer') return { action: 'answer', delayMs: typeof o.delayMs === 'number' ? o.delayMs : undefined };
  if (o.action === 'ring') return { action: 'ring' };
  if (o.action === 'reject' && typeof o.cause === 'number' && Number.isInteger(o.cause) && o.cause >= 1 && o.cause <= 127) {
    return { action: 'reject', cause: o.cause };
  }
  throw new Error('incoming must be {"action":"answer"}, {"action":"ring"} or {"action":"reject","cause":1-127}');
}
