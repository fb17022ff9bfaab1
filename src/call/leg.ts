// The Leg: one side of a call, whatever carries it (a SIP dialog, a PRI B-channel).
// The call core talks to legs only through this interface; src/sip and src/tdm implement it.

import { EventEmitter } from 'node:events';

export type LegKind = 'sip' | 'tdm';
/** inbound: the far end called us (UAS, or an incoming SETUP). outbound: we called out. */
export type LegDirection = 'inbound' | 'outbound';
export type LegState = 'idle' | 'calling' | 'proceeding' | 'early' | 'answered' | 'ended';

/**
 * How a leg describes its media. SIP legs carry an SDP body; TDM legs carry the native
 * engine's endpoint (a codec list and the RTP address the engine listens on, as SDP too,
 * so the relay treats both alike). Either may carry no SDP (a SIP INVITE without body).
 */
export interface MediaDescription {
  sdp?: string;
}

export interface ProgressInfo {
  /** SIP provisional status (180, 183) or undefined for a TDM ALERTING/PROGRESS. */
  sipStatus?: number;
  /** true when the far end is alerting (180 / ALERTING), false for plain progress (183 without ring). */
  ringing: boolean;
}

export interface HangupInfo {
  /** Q.850 cause (for SIP legs taken from the Reason header, else mapped from the status). */
  cause: number;
  /** SIP final status of a failed attempt (4xx-6xx), when the leg is SIP and never answered. */
  sipStatus?: number;
  /** Who ended the leg: the far end, or spangate (a hangup()/reject() call or a local failure). */
  by: 'remote' | 'local';
  /** Short human-readable detail for logs and CDRs ("488 Not Acceptable Here", "T303 expired"). */
  detail?: string;
}

export interface DtmfEvent {
  digit: string;
  durationMs: number;
  /** How the leg received it: RFC 4733 events seen by the leg itself, SIP INFO, or in-band detection. */
  source: 'rfc4733' | 'info' | 'inband';
}

/** A request from the far end to change media mid-call (re-INVITE/UPDATE: hold, resume, codec change). */
export interface MediaUpdate {
  media: MediaDescription;
  /** Answer the far end's offer. */
  accept(answer: MediaDescription): void;
  /** Refuse it (a SIP leg answers 488 with this cause in a Reason header). */
  reject(cause: number): void;
}

/**
 * The dialog an attended transfer replaces (SIP Refer-To with Replaces, RFC 5589 §7):
 * `local` when the gateway itself holds it (this leg carries it: the call joins the two
 * remaining parties), `remote` when someone else does (the new leg's INVITE carries the
 * Replaces header to the target, on the transferor's trunk).
 */
export type TransferReplaces = { kind: 'local'; leg: Leg } | { kind: 'remote'; header: string };

/**
 * The far end asks for a transfer (SIP REFER handled locally): blind, the call places a new
 * leg to `target` and, once it answers, puts it in this leg's place; attended (`replaces`),
 * see TransferReplaces. `notify` reports the outcome back to the transferor (100 trying,
 * then the final status).
 */
export interface TransferRequest {
  /** The number to transfer to, as the far end gave it. */
  target: string;
  replaces?: TransferReplaces;
  /** Who asked (SIP Referred-By), passed on to the target. */
  referredBy?: string;
  notify(status: number, reason: string): void;
}

/**
 * A REFER to hand on to the other leg's far end (trunk policy `pass`): the call asks the other
 * leg to send it (Leg.refer) and answers this one with the outcome; the NOTIFYs the other
 * far end sends about it are relayed back through `notify`.
 */
export interface PassedRefer {
  /** Refer-To and Referred-By as the transferor sent them. */
  referTo: string;
  referredBy?: string;
  /** The final answer to the transferor's REFER (202 when the other side accepted it). */
  respond(status: number, reason: string): void;
  /** Relays one NOTIFY (message/sipfrag body, Subscription-State) to the transferor. */
  notify(sipfrag: string, subscriptionState: string): void;
}

export interface LegEvents {
  /** Outbound legs: the far end is proceeding or alerting. */
  progress: [info: ProgressInfo];
  /** Outbound legs: early media description (183 with SDP, PROGRESS with in-band info). */
  'early-media': [media: MediaDescription];
  /**
   * Outbound legs: the far end answered (200 OK / CONNECT). For a leg placed without an offer
   * (late offer) `media` is the far end's offer, answered through confirmAnswer().
   */
  answer: [media: MediaDescription | undefined];
  /** The leg ended, either way. Emitted exactly once. */
  hangup: [info: HangupInfo];
  dtmf: [event: DtmfEvent];
  /** The far end wants new media (hold, resume, codec change). */
  update: [update: MediaUpdate];
  /** The far end asks to transfer the call elsewhere (answered calls only). */
  transfer: [request: TransferRequest];
  /** The far end sent a REFER the trunk hands on to the other side (answered calls only). */
  'refer-pass': [refer: PassedRefer];
}

export interface OriginateRequest {
  calling: string;
  called: string;
  /** Presentation of the calling number. */
  callingPresentation?: 'allowed' | 'restricted';
  /** The offer to send (outbound SIP INVITE body), if any. */
  media?: MediaDescription;
  /** Hops the request may still take (SIP Max-Forwards): the inbound leg's count less one. */
  maxForwards?: number;
  /** Attended transfer to a dialog someone else holds: the Replaces header value (RFC 3891). */
  replaces?: string;
  /** Who asked for the transfer (SIP Referred-By), when this leg places one. */
  referredBy?: string;
}

/** What every leg type implements. Methods reject with SignalingError/ClosedError on failure. */
export interface Leg {
  readonly id: string;
  readonly kind: LegKind;
  readonly direction: LegDirection;
  /** The trunk (SIP trunk id or TDM span group id) the leg runs on. */
  readonly trunk: string;
  readonly state: LegState;
  /** Numbers as signalled on this leg (after translation for outbound legs). */
  readonly calling: string;
  readonly called: string;
  /** The far end's last media description: the offer for inbound legs, the answer for outbound ones. */
  readonly remoteMedia: MediaDescription | undefined;
  /** TDM legs: the span (config id) and B-channel the call holds (channel 0 while none). */
  readonly circuit?: { span: string; channel: number };
  /**
   * Inbound legs whose media exists only on demand (a PRI B-channel's RTP endpoint): the
   * dispatcher calls this when the call's media goes through the relay (a SIP leg is
   * involved); afterwards remoteMedia carries the leg's offer. Throws (MediaError) when the
   * leg can have no media.
   */
  anchorMedia?(): void;
  /** Inbound SIP legs: Max-Forwards as received (the outbound leg gets one less). */
  readonly maxForwards?: number;

  on<E extends keyof LegEvents>(event: E, listener: (...args: LegEvents[E]) => void): this;
  once<E extends keyof LegEvents>(event: E, listener: (...args: LegEvents[E]) => void): this;
  off<E extends keyof LegEvents>(event: E, listener: (...args: LegEvents[E]) => void): this;

  /** Outbound legs: place the call (INVITE / SETUP). Resolves once sent; the rest comes as events. */
  originate(req: OriginateRequest): Promise<void>;
  /** Inbound legs: signal progress (180/183 or ALERTING/PROGRESS), with early media when given. */
  progress(info: ProgressInfo, media?: MediaDescription): Promise<void>;
  /** Inbound legs: answer (200 OK / CONNECT). */
  answer(media?: MediaDescription): Promise<void>;
  /** Inbound legs before answer: refuse the call with this cause (and SIP status, else mapped). */
  reject(cause: number, sipStatus?: number): Promise<void>;
  /** End the leg in any state (BYE, CANCEL or DISCONNECT). Idempotent; resolves when done. */
  hangup(cause: number): Promise<void>;
  /** Put the far end on hold or resume it (re-INVITE with sendonly/sendrecv, or HOLD on TDM). */
  hold(on: boolean): Promise<void>;
  /** Offer new media to the far end mid-call; resolves with its answer. */
  updateMedia(offer: MediaDescription): Promise<MediaDescription>;
  /** Send one DTMF digit the way this leg is configured to (RFC 4733, INFO, or in-band). */
  sendDtmf(digit: string, durationMs: number): Promise<void>;
  /**
   * Late offer, inbound legs whose INVITE carried no offer: answer (200 OK) with `offer` and
   * resolve with the far end's answer (SIP: the SDP in the ACK). Rejects with a
   * SignalingError (q850Cause set) when no usable answer comes; the leg stays up for the call
   * to tear down. Legs that never see a late offer leave it out.
   */
  answerWithOffer?(offer: MediaDescription): Promise<MediaDescription>;
  /**
   * Late offer, outbound legs placed without an offer: their 'answer' event carries the far
   * end's offer, and the answer to it goes back here (SIP: the ACK's body). A leg hung up
   * before this answers the offer with every stream refused, then ends (ACK, then BYE).
   */
  confirmAnswer?(answer: MediaDescription): Promise<void>;
  /**
   * Sends a REFER passed on from the other leg to this leg's far end; resolves with its final
   * status. `onNotify` gets the far end's NOTIFYs about it (sipfrag body, Subscription-State).
   */
  refer?(r: { referTo: string; referredBy?: string }, onNotify: (sipfrag: string, subscriptionState: string) => void): Promise<{ status: number; reason: string }>;
}

/**
 * A typed EventEmitter base for Leg implementations: it keeps `state` and makes sure
 * 'hangup' is emitted once. Subclasses call the protected helpers when their protocol moves.
 */
export abstract class LegBase extends EventEmitter {
  #state: LegState = 'idle';
  #ended = false;

  get state(): LegState {
    return this.#state;
  }

  protected setState(s: LegState): void {
    if (this.#state !== 'ended') this.#state = s;
  }

  /** Emits 'hangup' the first time only; returns false when the leg had already ended. */
  protected ended(info: HangupInfo): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.#state = 'ended';
    this.emit('hangup', info);
    return true;
  }

  get isEnded(): boolean {
    return this.#ended;
  }
}

/** DTMF digits a leg may carry: 0-9, *, #, A-D (RFC 4733 events 0-15). */
export function isDtmfDigit(d: string): boolean {
  return /^[0-9*#A-D]$/.test(d);
}
