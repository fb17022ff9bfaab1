// The RTP side of one PriLeg's B-channel (PRI⇄SIP): a native RTP endpoint that terminates the
// media (jitter buffer + PLC on the media tick) and is joined to the call's TDM channel, so the
// line is encoded to it and its decoded stream is written to the line (pri-media.ts). It speaks
// G.711 in both laws (the span's law first) with RFC 4733 telephone-event: digits the TDM
// channel detects in-band go out as RFC 4733, RFC 4733 digits received are regenerated in-band
// (both natively). Toward the call core it is SDP: the offer of an inbound PRI call, or the
// answer to the relay's offer for an outbound one; the far side of that SDP is the media relay
// (rtpengine), which anchors the SIP leg's media.
import { isIPv6 } from 'node:net';
import { Cause } from '../call/causes.js';
import { MediaError, SignalingError } from '../errors.js';
import type { RtpEndpointConfig, RtpStats } from '../ffi/engine.js';
import type { TdmStatsValues } from '../ffi/tdm.js';
import { audioMedia, mediaAddress, mediaDirection, parseSdp, type SdpCodec, type SdpDirection } from '../sip/sdp.js';

/** What a PriRtp needs of the native engine (NativeEngine; a fake in unit tests). */
export interface PriRtpApi {
  createEndpoint(cfg: RtpEndpointConfig): number;
  updateEndpoint(handle: number, cfg: RtpEndpointConfig): void;
  destroyEndpoint(handle: number): void;
  localPort(handle: number): number;
  endpointStats(handle: number): RtpStats;
}

export interface PriRtpOptions {
  /** Address the endpoint binds to and writes into its SDP (tdm.rtp.address). */
  address: string;
  /** The span's G.711 law: offered first, preferred in answers. */
  law: 'alaw' | 'ulaw';
  /** Media thread: the TDM channel's shard. */
  shard?: number;
}

/** The codec the endpoint runs and the far side's address, once negotiated. */
export interface PriRtpRemote {
  addr: string;
  port: number;
  codec: 'PCMU' | 'PCMA';
  pt: number;
  /** telephone-event payload type, 0 when the far side has none (digits then stay in-band). */
  dtmfPt: number;
  direction: SdpDirection;
}

const G711 = { PCMU: 0, PCMA: 8 } as const;
const TE_PT = 101;
const FLIP: Record<SdpDirection, SdpDirection> = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

const isG711 = (c: SdpCodec): c is SdpCodec & { name: 'PCMU' | 'PCMA' } =>
  (c.name.toUpperCase() === 'PCMU' || c.name.toUpperCase() === 'PCMA') && c.clockRate === 8000;
const isTe = (c: SdpCodec): boolean => c.name.toLowerCase() === 'telephone-event' && c.clockRate === 8000;

export class PriRtp {
  readonly handle: number;
  readonly port: number;
  readonly #api: PriRtpApi;
  readonly #o: PriRtpOptions;
  readonly #session = `${Date.now()}`;
  #version = 0;
  #remote: PriRtpRemote | undefined;
  #closed = false;

  /** Binds the endpoint (the engine's next free port pair on `address`); throws NativeError. */
  constructor(api: PriRtpApi, o: PriRtpOptions) {
    this.#api = api;
    this.#o = o;
    const first = this.#laws()[0]!;
    this.handle = api.createEndpoint({
      localAddr: o.address, payloadType: G711[first], codec: first, clockRate: 8000, dtmfPt: TE_PT,
      jitterBuffer: true, symmetric: true, shard: o.shard ?? 0,
    });
    try {
      this.port = api.localPort(this.handle);
    } catch (e) {
      api.destroyEndpoint(this.handle);
      throw e;
    }
  }

  get closed(): boolean { return this.#closed; }
  /** The negotiated far side (undefined before an answer or offer was applied). */
  get remote(): PriRtpRemote | undefined { return this.#remote; }

  /** Our offer: both G.711 laws (the span's first) and telephone-event 0-16. */
  offer(): string {
    const laws = this.#laws();
    return this.#sdp(laws.map((n) => ({ pt: G711[n], name: n, clockRate: 8000 })), { pt: TE_PT }, 'sendrecv');
  }

  /** Applies the far side's answer to our offer. Throws SignalingError (88) when it has no G.711. */
  applyAnswer(sdp: string): PriRtpRemote {
    const r = this.#parse(sdp, 'answer');
    this.#apply(r);
    return r;
  }

  /**
   * Answers an offer (the relay's, for an outbound PRI call, or a re-offer mid-call): the
   * span's law when offered, else the other one; telephone-event when offered. Throws
   * SignalingError (88) when the offer has no G.711.
   */
  answerOffer(sdp: string): string {
    const r = this.#parse(sdp, 'offer');
    this.#apply(r);
    const codec: SdpCodec = { pt: r.pt, name: r.codec, clockRate: 8000 };
    return this.#sdp([codec], r.dtmfPt ? { pt: r.dtmfPt } : undefined, FLIP[r.direction]);
  }

  stats(): RtpStats | undefined {
    return this.#closed ? undefined : this.#api.endpointStats(this.handle);
  }

  /** Destroys the endpoint (its TDM channel must have let go of it first); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#api.destroyEndpoint(this.handle);
  }

  #laws(): Array<'PCMU' | 'PCMA'> {
    return this.#o.law === 'ulaw' ? ['PCMU', 'PCMA'] : ['PCMA', 'PCMU'];
  }

  /**
   * The far side's SDP. Throws MediaError when the endpoint is closed, and SignalingError with
   * cause 88 (incompatible destination) when the media cannot go onto a B-channel.
   */
  #parse(text: string, what: 'offer' | 'answer'): PriRtpRemote {
    if (this.#closed) throw new MediaError(`RTP endpoint ${this.handle} is closed`);
    const incompatible = (why: string): SignalingError => new SignalingError(`${what} ${why}`, { q850Cause: Cause.INCOMPATIBLE_DESTINATION });
    const s = parseSdp(text);
    const m = audioMedia(s);
    if (!m || m.port === 0) throw incompatible('has no active audio stream');
    if (m.proto.toUpperCase().includes('SAVP')) throw incompatible('asks for SRTP toward the B-channel (the relay terminates SRTP)');
    const addr = mediaAddress(s, m);
    if (!addr) throw incompatible('has no connection address');
    const voice = m.codecs.filter(isG711);
    // In an answer the far side's first codec is the one it sends; in an offer we choose.
    const law = this.#laws()[0]!;
    const pick = what === 'answer' ? voice[0] : voice.find((c) => c.name.toUpperCase() === law) ?? voice[0];
    if (!pick) throw incompatible(`has no G.711 codec (${m.codecs.map((c) => c.name).join(', ') || 'none'})`);
    const te = m.codecs.find(isTe);
    return {
      addr, port: m.port, codec: pick.name.toUpperCase() as 'PCMU' | 'PCMA', pt: pick.pt, dtmfPt: te?.pt ?? 0,
      direction: mediaDirection(s, m),
    };
  }

  #apply(r: PriRtpRemote): void {
    this.#api.updateEndpoint(this.handle, {
      localAddr: this.#o.address, remoteAddr: r.addr, remotePort: r.port, payloadType: r.pt, codec: r.codec, clockRate: 8000,
      dtmfPt: r.dtmfPt, symmetric: true, jitterBuffer: true,
    });
    this.#remote = r;
  }

  #sdp(codecs: SdpCodec[], te: { pt: number } | undefined, dir: SdpDirection): string {
    const ip = isIPv6(this.#o.address) ? 'IP6' : 'IP4';
    const fmts = [...codecs.map((c) => c.pt), ...(te ? [te.pt] : [])];
    this.#version += 1;
    const lines = [
      'v=0',
      `o=spangate ${this.#session} ${this.#version} IN ${ip} ${this.#o.address}`,
      's=spangate',
      `c=IN ${ip} ${this.#o.address}`,
      't=0 0',
      `m=audio ${this.port} RTP/AVP ${fmts.join(' ')}`,
      ...codecs.map((c) => `a=rtpmap:${c.pt} ${c.name}/8000`),
      ...(te ? [`a=rtpmap:${te.pt} telephone-event/8000`, `a=fmtp:${te.pt} 0-16`] : []),
      'a=ptime:20',
      `a=${dir}`,
    ];
    return `${lines.join('\r\n')}\r\n`;
  }
}

/** A B-channel's RTP endpoint in `show spans`. */
export interface PriRtpView {
  port: number;
  /** Where it sends (the relay), '' before the answer. */
  remote: string;
  codec: string;
  rxPackets: number;
  txPackets: number;
  rxLost: number;
  /** Frames the TDM channel took from it, and ticks it had none (silence to the line). */
  netFrames: number;
  netUnderruns: number;
}

/** The endpoint's figures with its TDM channel's (throws NativeError when it is gone). */
export function describeRtp(r: PriRtp, tdm: TdmStatsValues | undefined): PriRtpView {
  const st = r.stats();
  const rem = r.remote;
  return {
    port: r.port, remote: rem ? `${rem.addr}:${rem.port}` : '', codec: rem?.codec ?? '', rxPackets: st?.rxPackets ?? 0,
    txPackets: st?.txPackets ?? 0, rxLost: Math.max(0, st?.rxLost ?? 0), netFrames: tdm?.net_frames ?? 0, netUnderruns: tdm?.net_underruns ?? 0,
  };
}
