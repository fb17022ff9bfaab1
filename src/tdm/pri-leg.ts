// PriLeg: one ISDN PRI call (a call handle on a span) as a call-core Leg. Inbound legs start at
// the RING event (the native layer has already sent CALL PROCEEDING and collected overlap
// digits); outbound legs place a SETUP in originate(). Events arrive through handleEvent(),
// dispatched by the SpanManager by call handle; HANGUP ends the leg with its Q.850 cause.
import { ClosedError, MediaError, NativeError, SignalingError } from '../errors.js';
import { Cause, causeText } from '../call/causes.js';
import {
  LegBase, isDtmfDigit, type Leg, type LegDirection, type MediaDescription, type OriginateRequest, type ProgressInfo,
} from '../call/leg.js';
import type { PriMedia } from './pri-media.js';
import type { PriRtp } from './pri-rtp.js';
import {
  PRES_ALLOWED, PRES_RESTRICTED, PRI_F_INBAND, PRI_F_LOCAL, PROG_INBAND, SCREEN_USER_PASSED,
  type Npi, type PriApi, type PriCallInfo, type PriEvent, type Ton,
} from '../ffi/pri.js';

/** The span a PriLeg runs on, as the SpanManager hands it out. */
export interface PriLegHost {
  readonly api: PriApi;
  /** Routes the call's events to the leg from now on (called before any event can arrive). */
  attach(call: number, leg: PriLeg): void;
  /** Stops routing them (the leg ended). */
  detach(call: number): void;
  /** Outbound: a span of the leg's trunk that can take a call now; throws SignalingError (34, 38) otherwise. */
  pickSpan(trunk: string): { span: number; id: string };
  /** The B-channel's native media (undefined where there is none, e.g. unit tests); throws on failure. */
  openMedia?(leg: PriLeg, span: number, channel: number): PriMedia | undefined;
  /** Releases it (once, when the leg ends). */
  closeMedia?(media: PriMedia): void;
  /** An RTP endpoint for the B-channel (PRI⇄SIP calls); throws MediaError when there can be none. */
  openRtp?(leg: PriLeg): PriRtp;
  /** Destroys it (once, after the TDM channel let go of it). */
  closeRtp?(rtp: PriRtp): void;
}

/** An originate request with the PRI specifics a caller may set. */
export interface PriOriginateRequest extends OriginateRequest {
  calledTon?: Ton;
  callingTon?: Ton;
  npi?: Npi;
  callingName?: string;
  /** B-channel to ask for; 0 or absent: any. */
  channel?: number;
  exclusive?: boolean;
}

export interface PriPartyView {
  number: string;
  name: string;
  ton: Ton;
  npi: Npi;
  /** 'allowed' | 'restricted' | 'unavailable', from the presentation octet. */
  presentation: 'allowed' | 'restricted' | 'unavailable';
  screening: number;
}

export interface PriLegOptions {
  id: string;
  trunk: string;
  host: PriLegHost;
  /** Longest wait for the native HANGUP after our own hangup before ending the leg anyway. */
  hangupTimeoutMs?: number;
}

const SG_ENOENT = -3;

/**
 * The tone a refused call hears in-band when the far side gave none: busy for user busy,
 * congestion (reorder) for the network/resource causes; other causes clear without a tone.
 */
export function refusalTone(cause: number): 'busy' | 'congestion' | undefined {
  if (cause === Cause.USER_BUSY) return 'busy';
  return [34, 38, 41, 42, 44, 47, 58, 63].includes(cause) ? 'congestion' : undefined;
}

function partyView(p: PriCallInfo['calling']): PriPartyView {
  const r = p.pres & 0x60;
  return {
    number: p.number, name: p.name, ton: p.ton, npi: p.npi, screening: p.pres & 0x03,
    presentation: r === PRES_RESTRICTED ? 'restricted' : r === 0x40 ? 'unavailable' : 'allowed',
  };
}

/** The Q.850 cause of a media failure: the one a SignalingError carries (88 for SDP the
 * B-channel cannot take), else 47 (no endpoint, engine refused). */
function causeOf(e: unknown): number {
  return e instanceof SignalingError && e.q850Cause !== undefined ? e.q850Cause : Cause.RESOURCE_UNAVAILABLE;
}

/** E.164 "+" numbers go out as international/E.164 without the "+"; others as given. */
function outNumber(n: string, ton: Ton | undefined, npi: Npi | undefined): { number: string; ton: Ton; npi: Npi } {
  if (n.startsWith('+')) return { number: n.slice(1), ton: ton ?? 'international', npi: npi ?? 'e164' };
  return { number: n, ton: ton ?? 'unknown', npi: npi ?? (ton ? 'e164' : 'unknown') };
}

export class PriLeg extends LegBase implements Leg {
  readonly kind = 'tdm' as const;
  readonly id: string;
  readonly trunk: string;
  readonly direction: LegDirection;
  #calling = '';
  #called = '';
  #call = 0;
  #span = 0;
  #spanId = '';
  #channel = 0;
  #callingParty: PriPartyView | undefined;
  #calledParty: PriPartyView | undefined;
  #hangupSent = false;
  #media: PriMedia | undefined;
  #mediaError = '';
  #farEarlyMedia = false;
  #progressCause = 0;
  #rtp: PriRtp | undefined;
  /** Outbound: our answer to the relay's offer (sent with early media and CONNECT). */
  #localAnswer: string | undefined;
  /** Inbound: the far side's early media (SIP 183 with SDP) is on the B-channel. */
  #earlyRemote = false;
  #hangupTimer: NodeJS.Timeout | undefined;
  #refusalTimer: NodeJS.Timeout | undefined;
  readonly #host: PriLegHost;
  readonly #hangupTimeoutMs: number;

  private constructor(direction: LegDirection, o: PriLegOptions) {
    super();
    this.direction = direction;
    this.id = o.id;
    this.trunk = o.trunk;
    this.#host = o.host;
    this.#hangupTimeoutMs = o.hangupTimeoutMs ?? 10_000;
  }

  /** An incoming call (RING): the leg takes the call's numbers from sg_pri_call_info. */
  static inbound(o: PriLegOptions, call: number, spanId: string, info: PriCallInfo): PriLeg {
    const leg = new PriLeg('inbound', o);
    leg.#call = call;
    leg.#span = info.span;
    leg.#spanId = spanId;
    leg.#channel = info.channel;
    leg.#callingParty = partyView(info.calling);
    leg.#calledParty = partyView(info.called);
    leg.#calling = info.calling.ton === 'international' && info.calling.number ? `+${info.calling.number}` : info.calling.number;
    leg.#called = info.called.ton === 'international' && info.called.number ? `+${info.called.number}` : info.called.number;
    leg.setState('calling');
    o.host.attach(call, leg);
    leg.#openMedia();
    return leg;
  }

  /** A leg to place a call on a span of `trunk` with originate(). */
  static outbound(o: PriLegOptions): PriLeg {
    return new PriLeg('outbound', o);
  }

  get calling(): string { return this.#calling; }
  get called(): string { return this.#called; }
  /** The native call handle (0 before originate). */
  get callHandle(): number { return this.#call; }
  /** The span handle and config id the call runs on. */
  get span(): number { return this.#span; }
  get spanId(): string { return this.#spanId; }
  /** The B-channel (timeslot), 0 while none is chosen. */
  get channel(): number { return this.#channel; }
  /** The span and B-channel, for CDRs. */
  get circuit(): { span: string; channel: number } { return { span: this.#spanId, channel: this.#channel }; }
  /** Inbound: the calling/called party as signalled (TON, NPI, presentation, name). */
  get callingParty(): PriPartyView | undefined { return this.#callingParty; }
  get calledParty(): PriPartyView | undefined { return this.#calledParty; }
  /**
   * Inbound: numbers for routing from the signalled TON: national numbers get the plan's
   * national prefix, international ones are "+E.164" already, others stay as signalled.
   */
  applyPlan(plan: { nationalPrefix: string }): void {
    if (this.direction !== 'inbound') return;
    if (this.#calledParty?.ton === 'national' && this.#called) this.#called = `${plan.nationalPrefix}${this.#called}`;
    if (this.#callingParty?.ton === 'national' && this.#calling) this.#calling = `${plan.nationalPrefix}${this.#calling}`;
  }

  /**
   * The B-channel's RTP endpoint as SDP, once the call anchors media (anchorMedia, or an
   * originate with an offer): inbound, our offer; outbound, our answer. Undefined otherwise
   * (PRI⇄PRI calls are bridged natively and never have one).
   */
  get remoteMedia(): MediaDescription | undefined {
    if (!this.#rtp || this.#rtp.closed) return undefined;
    if (this.direction === 'outbound') return this.#localAnswer === undefined ? undefined : { sdp: this.#localAnswer };
    return { sdp: this.#rtp.offer() };
  }

  /** The B-channel's RTP endpoint (PRI⇄SIP), when the call has one. */
  get rtp(): PriRtp | undefined { return this.#rtp; }

  /**
   * Inbound: the call's media goes through the relay (a SIP leg is involved): open the
   * B-channel's RTP endpoint now, so remoteMedia carries its offer. Throws MediaError.
   */
  anchorMedia(): void {
    if (this.direction !== 'inbound' || this.#rtp || this.isEnded) return;
    if (!this.#host.openRtp) throw new MediaError(`leg ${this.id}: B-channel RTP is not available`);
    this.#rtp = this.#host.openRtp(this);
    this.#joinRtp();
  }

  #joinRtp(): void {
    if (!this.#rtp || !this.#media || this.#media.rtp === this.#rtp.handle) return;
    try {
      this.#media.joinRtp(this.#rtp.handle);
    } catch (e) {
      this.#mediaError = `joining RTP: ${(e as Error).message}`;
    }
  }

  /** The B-channel's native media channel, once the call has a B-channel. */
  get media(): PriMedia | undefined { return this.#media; }
  /** Why the B-channel media could not be set up ('' when it was, or was not tried yet). */
  get mediaError(): string { return this.#mediaError; }
  /** Outbound: the cause a PROGRESS carried (a refusal announced with in-band tones), 0 if none. */
  get progressCause(): number { return this.#progressCause; }

  #openMedia(): void {
    if (this.#media || this.#mediaError || this.#channel <= 0 || this.isEnded || !this.#host.openMedia) return;
    try {
      this.#media = this.#host.openMedia(this, this.#span, this.#channel);
      this.#joinRtp();
    } catch (e) {
      // The call goes on without in-band services; logged by the host, shown in `show spans`.
      this.#mediaError = (e as Error).message;
    }
  }

  async originate(req: PriOriginateRequest): Promise<void> {
    if (this.direction !== 'outbound') throw new SignalingError('originate on an inbound PRI leg', { q850Cause: Cause.INTERWORKING });
    if (this.isEnded) throw new ClosedError(`leg ${this.id} has ended`);
    if (this.#call !== 0) throw new SignalingError(`leg ${this.id} has already placed its call`, { q850Cause: Cause.INTERWORKING });
    const { span, id } = this.#host.pickSpan(this.trunk);
    this.#span = span;
    this.#spanId = id;
    // A relay's offer (the call has a SIP leg): answer it with the B-channel's RTP endpoint
    // before the SETUP goes out, so a codec mismatch refuses the call without seizing a channel.
    if (req.media?.sdp !== undefined) this.#answerRelayOffer(req.media.sdp);
    const called = outNumber(req.called, req.calledTon, req.npi);
    const calling = outNumber(req.calling, req.callingTon, req.npi);
    const pres = (req.callingPresentation === 'restricted' ? PRES_RESTRICTED : PRES_ALLOWED) | SCREEN_USER_PASSED;
    let call: number;
    try {
      call = this.#host.api.call(span, {
        channel: req.channel ?? 0, exclusive: req.exclusive ?? false, complete: true,
        called: { ...called, pres: PRES_ALLOWED },
        calling: { ...calling, pres, name: req.callingName ?? '' },
      });
    } catch (e) {
      this.#closeRtp();
      throw new SignalingError(`SETUP on span ${id} failed: ${(e as Error).message}`, {
        q850Cause: e instanceof NativeError && e.errno === -1 ? Cause.INVALID_NUMBER_FORMAT : Cause.TEMPORARY_FAILURE, cause: e,
      });
    }
    this.#call = call;
    this.#span = span;
    this.#spanId = id;
    this.#calling = req.calling;
    this.#called = req.called;
    this.setState('calling');
    this.#host.attach(call, this);
  }

  async progress(info: ProgressInfo, media?: MediaDescription): Promise<void> {
    this.#inboundOpen('progress');
    if (this.state === 'answered') return;
    // The far side's early media (SIP 183 with SDP, through the relay) goes onto the B-channel
    // through its RTP endpoint and is signalled in-band (PROGRESS / ALERTING with progress
    // indicator 8). Alerting without it: ringback is generated here on the B-channel (the
    // country's tone) and signalled as in-band, so the caller hears it; early media arriving
    // later replaces the tone, and a 180 after early media keeps the early media.
    if (media?.sdp !== undefined && this.#rtp) {
      this.#applyRemote(media.sdp);
      this.#earlyRemote = true;
    }
    const early = media !== undefined || this.#earlyRemote;
    const localRingback = info.ringing && !early && this.#media !== undefined;
    const inband = early || localRingback;
    if (early) this.#farEarlyMedia = true;
    this.#cmd(() => (info.ringing ? this.#host.api.alerting(this.#call, inband) : this.#host.api.progress(this.#call)));
    if (localRingback) this.#media!.playTone('ringback');
    else if (!info.ringing || early) this.#media?.playTone(undefined);
    this.setState(inband || !info.ringing ? 'early' : 'proceeding');
  }

  async answer(media?: MediaDescription): Promise<void> {
    this.#inboundOpen('answer');
    if (this.state === 'answered') return;
    if (media?.sdp !== undefined && this.#rtp) this.#applyRemote(media.sdp);
    this.#cmd(() => this.#host.api.answer(this.#call));
    this.#media?.playTone(undefined);
    this.setState('answered');
  }

  /**
   * Refuses the call. When the far side gave no early media, the B-channel has media and the
   * cause has a tone (busy, congestion), the caller first hears that tone in-band: PROGRESS
   * with progress indicator 8 and the cause, then the DISCONNECT after the span's
   * rejectToneMs, unless the caller hangs up first (resolves when the leg has ended).
   */
  async reject(cause: number, _sipStatus?: number): Promise<void> {
    this.#inboundOpen('reject');
    if (this.state === 'answered') throw new SignalingError(`leg ${this.id} is answered; hang up instead`, { q850Cause: cause });
    const m = this.#media;
    const tone = refusalTone(cause);
    if (m && tone && m.rejectToneMs > 0 && !this.#farEarlyMedia && !m.wasBridged && !m.released && !this.#hangupSent && this.#call !== 0) {
      let announced = false;
      try {
        this.#host.api.progressCause(this.#call, cause);
        m.playTone(tone);
        announced = true;
      } catch {
        // No in-band announcement (the call went meanwhile, or the channel failed): clear now.
      }
      if (announced) {
        const done = new Promise<void>((resolve) => this.once('hangup', () => resolve()));
        this.setState('early');
        this.#refusalTimer = setTimeout(() => {
          this.#refusalTimer = undefined;
          this.hangup(cause).catch(() => undefined);
        }, m.rejectToneMs);
        await done;
        return;
      }
    }
    await this.hangup(cause);
  }

  async hangup(cause: number): Promise<void> {
    if (this.isEnded) return;
    const q850 = Number.isInteger(cause) && cause >= 1 && cause <= 127 ? cause : Cause.NORMAL_UNSPECIFIED;
    if (this.#call === 0) {
      this.#end(q850, 'local', 'ended before SETUP');
      return;
    }
    const done = new Promise<void>((resolve) => this.once('hangup', () => resolve()));
    if (!this.#hangupSent) {
      this.#hangupSent = true;
      try {
        this.#host.api.hangup(this.#call, q850);
      } catch (e) {
        // The call is already gone natively (its HANGUP is on its way or was lost): end here.
        const detail = e instanceof NativeError && e.errno === SG_ENOENT ? 'call already released' : (e as Error).message;
        this.#end(q850, 'local', detail);
        return;
      }
      this.#hangupTimer = setTimeout(() => this.#end(q850, 'local', 'no HANGUP from the PRI layer'), this.#hangupTimeoutMs);
    }
    await done;
  }

  async hold(_on: boolean): Promise<void> {
    // TODO(next): Q.931 HOLD/RETRIEVE (not in the native PRI API yet).
    throw new SignalingError('hold is not supported on PRI legs', { q850Cause: Cause.SERVICE_NOT_IMPLEMENTED });
  }

  async updateMedia(offer: MediaDescription): Promise<MediaDescription> {
    if (this.isEnded) throw new ClosedError(`leg ${this.id} has ended`);
    // A re-offer from the relay (the SIP side's hold/resume or codec change): the B-channel's
    // endpoint takes the new remote and codec. PRI itself has nothing to renegotiate.
    if (!this.#rtp || offer.sdp === undefined) {
      throw new SignalingError('media updates need the B-channel\'s RTP endpoint', { q850Cause: Cause.SERVICE_NOT_IMPLEMENTED });
    }
    try {
      const sdp = this.#rtp.answerOffer(offer.sdp);
      if (this.direction === 'outbound') this.#localAnswer = sdp;
      return { sdp };
    } catch (e) {
      throw new SignalingError(`leg ${this.id}: ${(e as Error).message}`, { q850Cause: causeOf(e), cause: e });
    }
  }

  #answerRelayOffer(sdp: string): void {
    try {
      this.#rtp = this.#host.openRtp?.(this);
      if (!this.#rtp) throw new MediaError('B-channel RTP is not available');
      this.#localAnswer = this.#rtp.answerOffer(sdp);
    } catch (e) {
      this.#closeRtp();
      throw new SignalingError(`leg ${this.id}: ${(e as Error).message}`, { q850Cause: causeOf(e), cause: e });
    }
  }

  #applyRemote(sdp: string): void {
    try {
      this.#rtp!.applyAnswer(sdp);
    } catch (e) {
      throw new SignalingError(`leg ${this.id}: far side's media: ${(e as Error).message}`, { q850Cause: causeOf(e), cause: e });
    }
  }

  #closeRtp(): void {
    const r = this.#rtp;
    if (!r) return;
    this.#rtp = undefined;
    if (this.#host.closeRtp) this.#host.closeRtp(r);
    else r.close();
  }

  async sendDtmf(digit: string, durationMs: number): Promise<void> {
    if (!isDtmfDigit(digit)) throw new SignalingError(`${JSON.stringify(digit)} is not a DTMF digit`, { q850Cause: Cause.INVALID_NUMBER_FORMAT });
    if (this.isEnded) throw new ClosedError(`leg ${this.id} has ended`);
    if (!this.#media) throw new SignalingError(`leg ${this.id} has no B-channel media for in-band DTMF`, { q850Cause: Cause.RESOURCE_UNAVAILABLE });
    try {
      this.#media.sendDtmf(digit, durationMs);
    } catch (e) {
      throw new SignalingError(`in-band DTMF on leg ${this.id}: ${(e as Error).message}`, { q850Cause: Cause.TEMPORARY_FAILURE, cause: e });
    }
  }

  /** A digit the B-channel's DTMF receiver detected in-band (SpanManager dispatch). */
  handleInbandDtmf(digit: string, durationMs: number): void {
    if (this.isEnded || !isDtmfDigit(digit)) return;
    this.emit('dtmf', { digit, durationMs, source: 'inband' });
  }

  /** Events of this leg's call handle (SpanManager dispatch). */
  handleEvent(ev: PriEvent): void {
    if (this.isEnded || !('call' in ev) || ev.call !== this.#call) return;
    if (ev.channel) this.#channel = ev.channel;
    if (ev.kind !== 'pri.hangup') this.#openMedia();
    const inband = (ev.flags & PRI_F_INBAND) !== 0 || (ev.progress & PROG_INBAND) !== 0;
    switch (ev.kind) {
      case 'pri.proceeding':
      case 'pri.setup-ack':
        if (this.direction !== 'outbound' || this.state !== 'calling') return;
        this.setState('proceeding');
        if (inband) this.#earlyMedia(false);
        return;
      case 'pri.ringing':
        if (this.direction !== 'outbound' || this.state === 'answered') return;
        this.setState(inband ? 'early' : 'proceeding');
        this.emit('progress', { ringing: true } satisfies ProgressInfo);
        if (inband) this.emit('early-media', this.#outboundMedia());
        return;
      case 'pri.progress':
        if (ev.cause) this.#progressCause = ev.cause;
        if (this.direction !== 'outbound' || this.state === 'answered' || !inband) return;
        this.#earlyMedia(true);
        return;
      case 'pri.answer':
        if (this.direction !== 'outbound' || this.state === 'answered') return;
        this.setState('answered');
        // With a relay (a SIP leg in the call) the answer is the B-channel's RTP endpoint.
        this.emit('answer', this.#localAnswer === undefined ? undefined : this.#outboundMedia());
        return;
      case 'pri.digits':
        for (const d of ev.digits.toUpperCase()) {
          if (isDtmfDigit(d)) this.emit('dtmf', { digit: d, durationMs: 0, source: 'info' });
        }
        return;
      case 'pri.hangup':
        this.#end(ev.cause || Cause.NORMAL_UNSPECIFIED, this.#hangupSent || (ev.flags & PRI_F_LOCAL) !== 0 ? 'local' : 'remote');
        return;
      default:
        return;
    }
  }

  #earlyMedia(emitProgress: boolean): void {
    // With an answer for the relay (a SIP caller) the early media itself is the progress
    // (183 with SDP); a bare one first would only add a 183 without a body.
    if (emitProgress && this.#localAnswer === undefined) this.emit('progress', { ringing: false } satisfies ProgressInfo);
    this.setState('early');
    this.emit('early-media', this.#outboundMedia());
  }

  /** Outbound: what goes with early media and CONNECT: our answer SDP, or nothing (PRI⇄PRI). */
  #outboundMedia(): MediaDescription {
    return this.#localAnswer === undefined ? {} : { sdp: this.#localAnswer };
  }

  #end(cause: number, by: 'local' | 'remote', detail?: string): void {
    if (this.#hangupTimer) clearTimeout(this.#hangupTimer);
    this.#hangupTimer = undefined;
    if (this.#refusalTimer) clearTimeout(this.#refusalTimer);
    this.#refusalTimer = undefined;
    if (this.#call !== 0) this.#host.detach(this.#call);
    const m = this.#media;
    if (m) this.#host.closeMedia?.(m);
    // The TDM channel let go of the endpoint when it was destroyed: now the endpoint can go.
    this.#closeRtp();
    this.ended({ cause, by, detail: detail ?? causeText(cause) });
  }

  #inboundOpen(what: string): void {
    if (this.direction !== 'inbound') throw new SignalingError(`${what} on an outbound PRI leg`, { q850Cause: Cause.INTERWORKING });
    if (this.isEnded) throw new ClosedError(`leg ${this.id} has ended`);
  }

  #cmd(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw new SignalingError(`PRI call ${this.#call} on span ${this.#spanId}: ${(e as Error).message}`, {
        q850Cause: Cause.TEMPORARY_FAILURE, cause: e,
      });
    }
  }
}
