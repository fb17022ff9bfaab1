// The media relay seen by the call core: rtpengine (src/media/rtpengine-relay.ts) and the native
// engine both implement it. One MediaSession per call anchors both legs' media; the call passes
// each leg's SDP through offer()/answer() and sends the rewritten SDP to the other leg.
// This file is types only: no I/O library is imported here.

/** RTP/AVP plain RTP; RTP/SAVP SRTP keyed by SDES (RFC 4568). */
export type MediaTransport = 'RTP/AVP' | 'RTP/SAVP';

/** How DTMF travels on a leg. */
export type DtmfMode = 'rfc4733' | 'inband' | 'info';

/** Per-leg media options, usually taken from the trunk's settings. */
export interface LegMediaOptions {
  /** Transport to present to this leg. */
  transport: MediaTransport;
  /**
   * SDES suites to offer on this leg when transport is RTP/SAVP, best first
   * (e.g. ['AES_CM_128_HMAC_SHA1_80']).
   */
  srtpSuites?: string[];
  /**
   * Codecs this leg may receive, best first, by RTP encoding name ('PCMU', 'PCMA', 'G722',
   * 'opus', 'G729', 'telephone-event'). Codecs the other leg offers that are not listed are
   * stripped; listed codecs the other leg does not offer are added as transcoding targets.
   * Undefined: pass the other leg's codecs through unchanged.
   */
  codecs?: string[];
  /** Latch onto the address RTP really arrives from (NAT), instead of trusting the SDP. */
  symmetric?: boolean;
  dtmf?: DtmfMode;
  /** Remove ICE attributes from SDP sent to this leg (default true: we anchor media). */
  stripIce?: boolean;
}

export interface OfferRequest {
  /** SDP from the offering leg. */
  sdp: string;
  /** Which leg sent the offer: 'a' (the caller's side) or 'b' (the callee's side, e.g. a re-INVITE). */
  from: 'a' | 'b';
  /** Options of the offering leg (what it sent) and of the leg that will receive the offer. */
  fromLeg: LegMediaOptions;
  toLeg: LegMediaOptions;
}

export interface AnswerRequest {
  /** SDP answer from the leg that received the offer. */
  sdp: string;
  /** The answering leg: the opposite of the last offer's `from`. */
  from: 'a' | 'b';
}

export interface StreamStats {
  /** Packets and bytes this relay received from the leg. */
  packetsIn: number;
  bytesIn: number;
  /** Packets and bytes this relay sent to the leg. */
  packetsOut: number;
  bytesOut: number;
  /** Packets lost toward the relay, from RTCP or sequence gaps, when known. */
  packetsLost?: number;
  /** Codec in use on the leg (RTP encoding name), when known. */
  codec?: string;
  /** Seconds since the relay last received media from this leg (undefined: never). */
  lastPacketAgeS?: number;
  /** Interarrival jitter in ms, when known. */
  jitterMs?: number;
}

export interface SessionStats {
  a: StreamStats;
  b: StreamStats;
}

export interface MediaSessionEvents {
  /** No RTP from either leg for the relay's media timeout: the call is dead. */
  'media-timeout': [];
  /** The relay lost the session (it restarted or was deleted elsewhere). */
  lost: [reason: string];
  /**
   * An RFC 4733 digit the relay took out of leg `from`'s media because the other leg signals
   * DTMF out of band (`dtmf: info`): it does not reach that leg as RTP, the call sends it on
   * (SIP INFO). Reported once per digit, after its end, in the order the digits ended.
   */
  dtmf: [from: 'a' | 'b', digit: string, durationMs: number];
}

/** One call's media on a relay. All methods reject with MediaError or TimeoutError. */
export interface MediaSession {
  readonly id: string;
  readonly closed: boolean;
  /** Rewrites an offer so the other leg sends media to the relay; returns the SDP for the other leg. */
  offer(req: OfferRequest): Promise<string>;
  /** Rewrites the answer; returns the SDP for the offering leg. */
  answer(req: AnswerRequest): Promise<string>;
  /** Current packet counters, codecs and timing per leg. */
  stats(): Promise<SessionStats>;
  /**
   * Injects one DTMF digit into the media `from` leg sends, so the other leg receives it as
   * RFC 4733 events (DTMF signalled out of band, e.g. SIP INFO, toward an RFC 4733 leg).
   * Relays that cannot inject leave it out.
   */
  playDtmf?(from: 'a' | 'b', digit: string, durationMs: number): Promise<void>;
  /** Frees the relay's ports. Idempotent; returns the final stats when the relay still had them. */
  close(): Promise<SessionStats | undefined>;
  on<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this;
  off<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this;
}

export interface RelayHealth {
  up: boolean;
  /** Active sessions on the relay, when it reports them. */
  sessions?: number;
  detail?: string;
}

export interface MediaRelay {
  readonly name: string;
  /** Creates the call's media session. Fails fast with MediaError while the relay is down. */
  createSession(callId: string): MediaSession;
  health(): Promise<RelayHealth>;
  close(): Promise<void>;
}

/** Sum of a stream's two directions, for CDR totals. */
export function totalPackets(s: StreamStats): number {
  return s.packetsIn + s.packetsOut;
}
