// MediaRelay on the native engine (libspangate): each session anchors its two legs on two
// RTP endpoints of the same media thread, joined by a native relay that passes the payload
// through when both legs use one codec and transcodes among the native codecs (PCMU, PCMA,
// G722, opus) otherwise. SDP is rewritten here (the engine knows no SDP): our address and
// ports, the codec list per LegMediaOptions, SDES keys per leg, no ICE. The engine and its
// event reader come in through the constructor (src/main.ts composes them).

import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { MediaError } from '../errors.js';
import type { NativeEngine, RtpEndpointConfig, SrtpSuite } from '../ffi/engine.js';
import type { NativeEvent } from '../ffi/events.js';
import { audioMedia, mediaAddress, parseSdp, serializeSdp, type SdpCodec, type SdpMedia, type SessionDescription } from '../sip/sdp.js';
import type {
  AnswerRequest, LegMediaOptions, MediaRelay, MediaSession, MediaSessionEvents, OfferRequest, RelayHealth,
  SessionStats, StreamStats,
} from './relay.js';

/** What the relay uses of the engine (NativeEngine in production, a fake in unit tests). */
export type NativeEngineApi = Pick<
  NativeEngine,
  'isRunning' | 'createEndpoint' | 'updateEndpoint' | 'destroyEndpoint' | 'localPort' | 'endpointStats' | 'createRelay' | 'destroyRelay' | 'sendDtmf'
>;

/** Where engine events come from (NativeEventReader in production). */
export interface NativeEventSource {
  on(event: 'event', listener: (ev: NativeEvent) => void): unknown;
  off(event: 'event', listener: (ev: NativeEvent) => void): unknown;
}

export interface NativeRelayOptions {
  /** Address the endpoints bind to. */
  localAddress: string;
  /** Address written into SDP (default localAddress), e.g. the public side of a 1:1 NAT. */
  advertisedAddress?: string;
  /** No RTP from both legs for this long emits 'media-timeout' (default 60 s; 0 = off). */
  mediaTimeoutMs?: number;
}

type Side = 'a' | 'b';
const other = (s: Side): Side => (s === 'a' ? 'b' : 'a');

/** Codecs the engine can decode and encode (transcoding targets); others can only pass through. */
const NATIVE: Record<string, { pt: number; clockRate: number; channels?: number; fmtp?: string }> = {
  PCMU: { pt: 0, clockRate: 8000 },
  PCMA: { pt: 8, clockRate: 8000 },
  G722: { pt: 9, clockRate: 8000 },
  OPUS: { pt: 111, clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' },
};
const SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
const ICE_ATTRS = new Set(['candidate', 'ice-ufrag', 'ice-pwd', 'ice-options', 'ice-lite', 'end-of-candidates', 'remote-candidates']);

const isVoice = (c: SdpCodec): boolean => c.name.toLowerCase() !== 'telephone-event' && c.name.toUpperCase() !== 'CN';
const nativeOf = (name: string) => NATIVE[name.toUpperCase()];

/** Where a leg sends from and what it receives, as learnt from its SDP. */
interface Remote {
  addr: string;
  port: number;
  rtcpPort?: number;
  rtcpMux: boolean;
  codecs: SdpCodec[];
  ptime?: number;
  /** Their SDES crypto line we accepted (suite + inline key), when the leg is SRTP. */
  crypto?: { tag: number; suite: SrtpSuite; key: string };
}

interface Leg {
  handle: number;
  port: number;
  opts?: LegMediaOptions;
  remote?: Remote;
  /** Our SDES key for what we send to this leg. */
  txKey: string;
  /** The codec this leg uses (after the answer). */
  codec?: SdpCodec;
  timedOut: boolean;
}

function parseRemote(sdp: SessionDescription, m: SdpMedia): Remote {
  const addr = mediaAddress(sdp, m);
  if (!addr) throw new MediaError('SDP audio has no connection address');
  const r: Remote = { addr, port: m.port, rtcpMux: m.rtcpMux, codecs: m.codecs };
  if (m.rtcp) r.rtcpPort = m.rtcp.port;
  if (m.ptime !== undefined) r.ptime = m.ptime;
  if (m.proto.includes('SAVP')) {
    const c = m.crypto.find((x) => (SUITES as readonly string[]).includes(x.suite) && x.keyParams.startsWith('inline:'));
    if (!c) throw new MediaError('SRTP offer without a supported SDES suite (AES_CM_128_HMAC_SHA1_80/32)');
    r.crypto = { tag: c.tag, suite: c.suite as SrtpSuite, key: c.keyParams.slice('inline:'.length).split('|')[0]! };
  }
  return r;
}

/** Engine and SDP failures reach the call core as MediaError (the cause keeps the detail). */
function asMediaError(err: unknown, what: string): MediaError {
  if (err instanceof MediaError) return err;
  return new MediaError(`native relay ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** PT for a codec we add: its static/usual number unless taken, else a free dynamic one. */
function choosePt(want: number, used: Set<number>): number {
  if (!used.has(want)) return want;
  for (let pt = 96; pt < 128; pt++) if (!used.has(pt)) return pt;
  throw new MediaError('no free RTP payload type');
}

class NativeSession extends EventEmitter implements MediaSession {
  readonly id: string;
  readonly #relay: NativeMediaRelay;
  readonly #legs: Partial<Record<Side, Leg>> = {};
  #offerFrom: Side | undefined;
  /** The last offer as received, to build the answer toward the offerer from. */
  #offerSdp: SessionDescription | undefined;
  #relayHandle = 0;
  #closed = false;
  #reportedTimeout = false;
  readonly #shard: number;

  constructor(relay: NativeMediaRelay, id: string, shard: number) {
    super();
    this.#relay = relay;
    this.id = id;
    this.#shard = shard;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Endpoint handles, for routing engine events to this session. */
  handles(): number[] {
    return [this.#legs.a?.handle, this.#legs.b?.handle].filter((h): h is number => h !== undefined);
  }

  async offer(req: OfferRequest): Promise<string> {
    this.#check();
    try {
      return this.#offer(req);
    } catch (err) {
      throw asMediaError(err, 'offer');
    }
  }

  async answer(req: AnswerRequest): Promise<string> {
    this.#check();
    try {
      return this.#answer(req);
    } catch (err) {
      throw asMediaError(err, 'answer');
    }
  }

  #offer(req: OfferRequest): string {
    const sdp = parseSdp(req.sdp);
    const m = audioMedia(sdp);
    if (!m) throw new MediaError('offer has no audio');
    const from = req.from;
    const to = other(from);
    const remote = parseRemote(sdp, m);
    const fromLeg = this.#leg(from, req.fromLeg);
    const toLeg = this.#leg(to, req.toLeg);
    fromLeg.remote = remote;
    this.#offerFrom = from;
    this.#offerSdp = sdp;
    if (this.#relayHandle) {
      // Re-offer: the relay is rebuilt once the answer fixes the codecs.
      this.#relay.engine.destroyRelay(this.#relayHandle);
      this.#relayHandle = 0;
    }
    // Codecs toward the other leg: its list (pass-through where the offer has it, transcoded
    // where the engine can), or the offer unchanged.
    const voice = remote.codecs.filter(isVoice);
    const used = new Set(remote.codecs.map((c) => c.pt));
    let list: SdpCodec[];
    if (req.toLeg.codecs) {
      list = [];
      for (const name of req.toLeg.codecs) {
        if (name.toLowerCase() === 'telephone-event') continue;
        const have = voice.find((c) => c.name.toUpperCase() === name.toUpperCase());
        const nat = nativeOf(name);
        if (have) list.push(have);
        else if (nat && voice.some((c) => nativeOf(c.name))) {
          const c: SdpCodec = { pt: choosePt(nat.pt, used), name: name === 'OPUS' ? 'opus' : name, clockRate: nat.clockRate };
          if (nat.channels !== undefined) c.channels = nat.channels;
          if (nat.fmtp !== undefined) c.fmtp = nat.fmtp;
          used.add(c.pt);
          list.push(c);
        }
      }
      if (list.length === 0) throw new MediaError(`no codec in common with ${req.toLeg.codecs.join(',')}`);
    } else {
      list = [...voice];
    }
    // dtmf 'inband'/'info' legs get no telephone-event. Toward an INFO leg, RFC 4733 digits
    // are reported by the receiving endpoint (onEvent → 'dtmf', sent on as INFO by the call).
    // TODO(next): toward an 'inband' leg digits arriving as RFC 4733
    // from the other leg are then dropped by the engine (no in-band generation yet, relay.c).
    if ((req.toLeg.dtmf ?? 'rfc4733') === 'rfc4733') {
      const te = remote.codecs.find((c) => !isVoice(c) && c.name.toLowerCase() === 'telephone-event');
      list.push(te ?? { pt: choosePt(101, used), name: 'telephone-event', clockRate: 8000, fmtp: '0-16' });
    }
    // Leg `from` is known now; leg `to` learns its remote from the answer (or latches).
    this.#relay.engine.updateEndpoint(fromLeg.handle, this.#endpointConfig(fromLeg, voice[0]));
    return this.#sdpFor(sdp, m, toLeg, list, req.toLeg, toLeg.txKey);
  }

  #answer(req: AnswerRequest): string {
    const offerer = this.#offerFrom;
    if (offerer === undefined || offerer === req.from) {
      throw new MediaError(`answer from leg ${req.from} without an offer from the other leg`);
    }
    const sdp = parseSdp(req.sdp);
    const m = audioMedia(sdp);
    if (!m) throw new MediaError('answer has no audio');
    const ans = this.#legs[req.from]!;
    const off = this.#legs[offerer]!;
    ans.remote = parseRemote(sdp, m);
    const chosen = ans.remote.codecs.find(isVoice);
    if (!chosen) throw new MediaError('answer has no voice codec');
    ans.codec = chosen;
    // The offerer keeps the same codec when it offered it (pass-through), else the first
    // codec of its offer the engine can transcode.
    const offered = off.remote!.codecs.filter(isVoice);
    const same = offered.find((c) => c.name.toUpperCase() === chosen.name.toUpperCase() && c.clockRate === chosen.clockRate);
    off.codec = same ?? offered.find((c) => nativeOf(c.name));
    if (!off.codec) throw new MediaError(`cannot transcode ${chosen.name} to any offered codec`);
    if (!same && !nativeOf(chosen.name)) throw new MediaError(`cannot transcode ${chosen.name}`);
    this.#relay.engine.updateEndpoint(ans.handle, this.#endpointConfig(ans, chosen));
    this.#relay.engine.updateEndpoint(off.handle, this.#endpointConfig(off, off.codec));
    try {
      this.#relayHandle = this.#relay.engine.createRelay(this.#legs.a!.handle, this.#legs.b!.handle);
    } catch (err) {
      throw new MediaError(`native relay refused ${off.codec.name} <-> ${chosen.name}`, { cause: err });
    }
    const offSdp = this.#offerSdp!;
    const offM = audioMedia(offSdp)!;
    const back: SdpCodec[] = [off.codec];
    const te = off.remote!.codecs.find((c) => c.name.toLowerCase() === 'telephone-event');
    // An RFC 4733 offerer facing an INFO leg keeps telephone-event: its endpoint takes the
    // events and they go on as INFO. An INFO offerer facing RFC 4733 never gets it.
    const infoFacing = (side: Side): boolean => this.#infoFacingRfc(side);
    if (te && !infoFacing(offerer) && (infoFacing(req.from) || ans.remote.codecs.some((c) => c.name.toLowerCase() === 'telephone-event'))) back.push(te);
    const opts = off.opts ?? { transport: offM.proto.includes('SAVP') ? 'RTP/SAVP' : 'RTP/AVP' };
    return this.#sdpFor(offSdp, offM, off, back, opts, off.txKey);
  }

  async stats(): Promise<SessionStats> {
    this.#check();
    return { a: this.#streamStats('a'), b: this.#streamStats('b') };
  }

  async close(): Promise<SessionStats | undefined> {
    if (this.#closed) return undefined;
    let final: SessionStats | undefined;
    try {
      if (this.#legs.a && this.#legs.b) final = { a: this.#streamStats('a'), b: this.#streamStats('b') };
    } catch {
      final = undefined;
    }
    this.#closed = true;
    for (const leg of [this.#legs.a, this.#legs.b]) {
      if (!leg) continue;
      try {
        this.#relay.engine.destroyEndpoint(leg.handle);
      } catch {
        // already gone with a stopped engine
      }
    }
    this.#relay.forget(this);
    return final;
  }

  /**
   * A digit signalled out of band by leg `from` (INFO), played as RFC 4733 events toward the
   * other leg by its endpoint's generator (the relayed audio keeps flowing around them).
   */
  async playDtmf(from: Side, digit: string, durationMs: number): Promise<void> {
    this.#check();
    const event = digit.length === 1 ? '0123456789*#ABCD'.indexOf(digit) : -1;
    if (event < 0) throw new MediaError(`not a DTMF digit: ${digit}`);
    const to = this.#legs[other(from)];
    if (!to?.remote?.codecs.some((c) => c.name.toLowerCase() === 'telephone-event')) {
      throw new MediaError(`leg ${other(from)} has no telephone-event to play DTMF with`);
    }
    try {
      this.#relay.engine.sendDtmf(to.handle, event, Math.max(40, Math.min(5000, Math.round(durationMs))), 10);
    } catch (err) {
      throw asMediaError(err, 'play DTMF');
    }
  }

  /** Routed from the engine's event reader. */
  onEvent(ev: NativeEvent): void {
    const side: Side | undefined = ev.handle === this.#legs.a?.handle ? 'a' : ev.handle === this.#legs.b?.handle ? 'b' : undefined;
    if (!side) return;
    const leg = this.#legs[side]!;
    if (ev.kind === 'rtp.dtmf') {
      // An RFC 4733 digit ended on a leg facing an INFO leg: the call sends it on as INFO.
      if (ev.end && this.#infoFacingRfc(other(side)) && /^[0-9*#A-D]$/.test(ev.digit)) this.emit('dtmf', side, ev.digit, ev.durationMs);
      return;
    }
    if (ev.kind === 'rtp.timeout') leg.timedOut = true;
    else if (ev.kind === 'rtp.resumed') {
      leg.timedOut = false;
      this.#reportedTimeout = false;
    }
    if (!this.#reportedTimeout && this.#legs.a?.timedOut && this.#legs.b?.timedOut) {
      this.#reportedTimeout = true;
      this.emit('media-timeout');
    }
  }

  /** The engine went away under the session. */
  lose(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('lost', reason);
  }

  #check(): void {
    if (this.#closed) throw new MediaError(`media session ${this.id} is closed`);
  }

  /** Leg `side` signals DTMF by INFO and the other leg by RFC 4733. */
  #infoFacingRfc(side: Side): boolean {
    const mine = this.#legs[side]?.opts?.dtmf;
    const theirs = this.#legs[other(side)]?.opts?.dtmf ?? 'rfc4733';
    return mine === 'info' && theirs === 'rfc4733' && this.#legs[other(side)] !== undefined;
  }

  #leg(side: Side, opts: LegMediaOptions): Leg {
    let leg = this.#legs[side];
    if (!leg) {
      const handle = this.#relay.engine.createEndpoint({
        localAddr: this.#relay.options.localAddress, payloadType: 0, symmetric: true, shard: this.#shard, noRtcp: false,
      });
      leg = { handle, port: this.#relay.engine.localPort(handle), txKey: randomBytes(30).toString('base64'), timedOut: false };
      this.#legs[side] = leg;
    }
    leg.opts = opts;
    return leg;
  }

  #endpointConfig(leg: Leg, codec: SdpCodec | undefined): RtpEndpointConfig {
    const r = leg.remote!;
    const c = codec ?? r.codecs.find(isVoice);
    const te = r.codecs.find((x) => x.name.toLowerCase() === 'telephone-event');
    const cn = r.codecs.find((x) => x.name.toUpperCase() === 'CN');
    const cfg: RtpEndpointConfig = {
      localAddr: this.#relay.options.localAddress,
      remoteAddr: r.addr,
      remotePort: r.port,
      payloadType: c?.pt ?? 0,
      codec: c ? (nativeOf(c.name) ? c.name : '') : '',
      clockRate: c?.clockRate ?? 8000,
      symmetric: leg.opts?.symmetric ?? true,
      rtcpMux: false,
      mediaTimeoutMs: this.#relay.options.mediaTimeoutMs ?? 60000,
    };
    if (r.rtcpPort !== undefined) cfg.remoteRtcpPort = r.rtcpPort;
    else if (r.rtcpMux) cfg.remoteRtcpPort = r.port;
    if (r.ptime !== undefined && r.ptime % 10 === 0) cfg.ptimeMs = r.ptime;
    // An INFO leg facing RFC 4733 neither sends nor receives events (the engine drops them
    // toward it); its digits travel as INFO.
    if (te && !(leg === this.#legs.a ? this.#infoFacingRfc('a') : leg === this.#legs.b ? this.#infoFacingRfc('b') : false)) cfg.dtmfPt = te.pt;
    if (cn) cfg.cnPt = cn.pt;
    if (r.crypto) cfg.srtp = { suite: r.crypto.suite, txKey: leg.txKey, rxKey: r.crypto.key };
    return cfg;
  }

  #sdpFor(src: SessionDescription, m: SdpMedia, leg: Leg, codecs: SdpCodec[], opts: LegMediaOptions, key: string): string {
    const addr = this.#relay.options.advertisedAddress ?? this.#relay.options.localAddress;
    const addrType = isIPv6(addr) ? 'IP6' : 'IP4';
    const srtp = opts.transport === 'RTP/SAVP';
    const suite = leg.remote?.crypto?.suite ?? (opts.srtpSuites?.find((s) => (SUITES as readonly string[]).includes(s)) as SrtpSuite | undefined) ?? SUITES[0]!;
    if (srtp && opts.srtpSuites && !opts.srtpSuites.includes(suite)) throw new MediaError(`SRTP suite ${suite} not allowed on this leg`);
    const media: SdpMedia = {
      ...m,
      port: leg.port,
      proto: srtp ? 'RTP/SAVP' : 'RTP/AVP',
      formats: codecs.map((c) => String(c.pt)),
      connection: { addrType, address: addr },
      codecs,
      crypto: srtp ? [{ tag: leg.remote?.crypto?.tag ?? 1, suite, keyParams: `inline:${key}` }] : [],
      rtcpMux: false,
      attributes: m.attributes.filter((a) => !(opts.stripIce !== false && ICE_ATTRS.has(a.name)) && a.name !== 'rtcp'),
    };
    delete media.rtcp;
    const out: SessionDescription = {
      ...src,
      origin: { ...src.origin, addrType, address: addr },
      connection: { addrType, address: addr },
      attributes: src.attributes.filter((a) => !(opts.stripIce !== false && ICE_ATTRS.has(a.name))),
      media: src.media.map((x) => (x === m ? media : { ...x, port: 0 })),
    };
    return serializeSdp(out);
  }

  #streamStats(side: Side): StreamStats {
    const leg = this.#legs[side];
    if (!leg) return { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
    const s = this.#relay.engine.endpointStats(leg.handle);
    const out: StreamStats = {
      packetsIn: s.rxPackets, bytesIn: s.rxBytes, packetsOut: s.txPackets, bytesOut: s.txBytes,
      packetsLost: Math.max(0, s.rxLost), jitterMs: s.jitterUs / 1000,
    };
    if (leg.codec) out.codec = leg.codec.name;
    if (s.rxPackets > 0) out.lastPacketAgeS = s.idleMs / 1000;
    return out;
  }

  override on<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override off<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}

/** The native engine as a MediaRelay (trunk setting `mediaRelay: native`, or media.relay). */
export class NativeMediaRelay implements MediaRelay {
  readonly name = 'native';
  readonly #sessions = new Map<string, NativeSession>();
  #shard = 0;
  readonly #onEvent = (ev: NativeEvent): void => {
    for (const s of this.#sessions.values()) if (s.handles().includes(ev.handle)) s.onEvent(ev);
  };

  constructor(readonly engine: NativeEngineApi, private readonly events: NativeEventSource, readonly options: NativeRelayOptions) {
    events.on('event', this.#onEvent);
  }

  createSession(callId: string): MediaSession {
    if (!this.engine.isRunning) throw new MediaError('native media engine is not running');
    if (this.#sessions.has(callId)) throw new MediaError(`media session ${callId} exists`);
    const s = new NativeSession(this, callId, this.#shard++);
    this.#sessions.set(callId, s);
    return s;
  }

  async health(): Promise<RelayHealth> {
    return { up: this.engine.isRunning, sessions: this.#sessions.size };
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#sessions.values()].map((s) => s.close()));
    this.events.off('event', this.#onEvent);
  }

  /** Tells every session the engine is gone (call before stopping it underneath them). */
  engineLost(reason: string): void {
    for (const s of [...this.#sessions.values()]) s.lose(reason);
    this.#sessions.clear();
  }

  /** @internal */
  forget(s: NativeSession): void {
    this.#sessions.delete(s.id);
  }
}
