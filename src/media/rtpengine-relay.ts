// MediaRelay on rtpengine: one NG call per spangate call, tags `<call>-a` and `<call>-b`.
// Per-leg options become NG flags: transport-protocol (RTP/AVP ⇄ RTP/SAVP with SDES),
// codec mask/transcode, ICE removal, origin/connection replacement, asymmetric. A watch
// per answered session polls `query` and reports dead media; a restart of a managed
// rtpengine loses every session, and they are told so.
// DTMF between an RFC 4733 leg and an INFO leg: INFO digits are injected (NG `play DTMF`);
// RFC 4733 digits from the other leg are blocked there (NG `block DTMF` on its tag) and come
// back through rtpengine's DTMF log (rtpengine-dtmf-log.ts → handleDtmf) as `dtmf` events.

import { EventEmitter } from 'node:events';
import { MediaError } from '../errors.js';
import { parseSdp, audioMedia, mediaDirection } from '../sip/sdp.js';
import type { NgMessage } from 'rtpengine-client';
import { isUnknownCall, type NgClient, type NgLogger } from './rtpengine-ng.js';
import { telephoneEventPt, withoutTelephoneEvent, withTelephoneEvent } from './dtmf-sdp.js';
import type {
  AnswerRequest, LegMediaOptions, MediaRelay, MediaSession, MediaSessionEvents, OfferRequest,
  RelayHealth, SessionStats, StreamStats,
} from './relay.js';

/** What the relay needs from the supervisor (or a stand-in for an external rtpengine). */
export interface RtpengineHandle {
  readonly ng: NgClient;
  readonly up: boolean;
  on(event: 'down', listener: (reason: string) => void): unknown;
}

/** Where rtpengine's DTMF events arrive (rtpengine-dtmf-log.ts); without it no RFC 4733 → INFO. */
export interface DtmfLogSource {
  readonly dest: string;
}

export interface RtpengineRelayOptions {
  /** rtpengine sends its DTMF log here: RFC 4733 events are reported (and blocked) toward INFO legs. */
  dtmfLog?: DtmfLogSource;
  /** How often an answered session's packet counters are checked (default 10 s). */
  mediaCheckIntervalMs?: number;
  /** No new packets from either leg for this long ends the call (default 60 s). 0 = off. */
  mediaTimeoutMs?: number;
  /** rtpengine lost all its sessions when it went down (true for a managed, restarted one). */
  sessionsLostOnDown?: boolean;
  log?: NgLogger;
}

/** SDES suites rtpengine 10.5 offers; everything not allowed on a leg is excluded with `no-`. */
export const SDES_SUITES = [
  'AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32',
  'AES_192_CM_HMAC_SHA1_80', 'AES_192_CM_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32',
  'F8_128_HMAC_SHA1_80', 'F8_128_HMAC_SHA1_32', 'NULL_HMAC_SHA1_80', 'NULL_HMAC_SHA1_32',
] as const;

/** The NG flags for an offer toward a leg with `to` options, from a leg with `from` options. */
export function offerFlags(from: LegMediaOptions, to: LegMediaOptions, dtmfLog = false): NgMessage {
  const msg: NgMessage = {
    replace: ['origin', 'session-connection'],
    'transport-protocol': to.transport,
  };
  if (to.stripIce !== false) msg['ICE'] = 'remove';
  if (to.transport === 'RTP/SAVP') {
    const allowed = to.srtpSuites ?? ['AES_CM_128_HMAC_SHA1_80'];
    for (const s of allowed) {
      if (!(SDES_SUITES as readonly string[]).includes(s)) throw new MediaError(`unsupported SRTP suite ${s}`);
    }
    msg['SDES'] = SDES_SUITES.filter((s) => !allowed.includes(s)).map((s) => `no-${s}`);
    msg['DTLS'] = 'off';
  }
  if (to.codecs) {
    const list = to.codecs.filter((c) => c !== 'telephone-event');
    if (carriesEvents(from, to, dtmfLog)) list.push('telephone-event');
    // mask: the offerer keeps its codecs (rtpengine transcodes from them); the other leg
    // sees only `list`, in order. A codec both sides have is passed through untouched.
    msg['codec'] = { mask: ['all'], transcode: list };
  }
  const flags: string[] = [];
  if (from.symmetric === false) flags.push('asymmetric');
  if (injectsDtmf(from, to)) flags.push('inject DTMF');
  if (flags.length > 0) msg['flags'] = flags;
  return msg;
}

/**
 * Whether the offer toward `to` lists telephone-event: an RFC 4733 leg always; an INFO leg
 * facing an RFC 4733 leg too when rtpengine's DTMF log is received, because rtpengine 10.5 parses (and logs, and blocks) RFC 4733
 * events only when both legs negotiated telephone-event — otherwise it forwards them as an
 * unknown payload type. The INFO leg never receives events: `block DTMF` stops them.
 */
export function carriesEvents(from: LegMediaOptions, to: LegMediaOptions, dtmfLog: boolean): boolean {
  const toMode = to.dtmf ?? 'rfc4733';
  return toMode === 'rfc4733' || (dtmfLog && toMode === 'info' && (from.dtmf ?? 'rfc4733') === 'rfc4733');
}

/** The leg whose RFC 4733 events are turned into INFO on the other leg, if any. */
export function interworkedEventSource(opts: { a?: LegMediaOptions; b?: LegMediaOptions }): 'a' | 'b' | undefined {
  const mode = (o: LegMediaOptions | undefined): string | undefined => (o ? o.dtmf ?? 'rfc4733' : undefined);
  if (mode(opts.a) === 'rfc4733' && mode(opts.b) === 'info') return 'a';
  if (mode(opts.b) === 'rfc4733' && mode(opts.a) === 'info') return 'b';
  return undefined;
}

/** RFC 4733 event code → DTMF digit (0-15), undefined for other events. */
export function eventDigit(event: number): string | undefined {
  return Number.isInteger(event) && event >= 0 && event <= 15 ? '0123456789*#ABCD'[event] : undefined;
}

/**
 * A leg that signals DTMF out of band (INFO) facing an RFC 4733 leg: the media goes through
 * rtpengine's codec handlers so `play DTMF` can inject events. rtpengine 10.5 needs the flag
 * on the answer as well for events toward the answering leg when the offer carried
 * telephone-event (seen on loopback), so both offer and answer set it.
 */
export function injectsDtmf(x: LegMediaOptions | undefined, y: LegMediaOptions | undefined): boolean {
  if (!x || !y) return false;
  return (x.dtmf === 'info') !== (y.dtmf === 'info');
}

function sumStreams(tag: unknown): { packets: number; bytes: number } {
  let packets = 0;
  let bytes = 0;
  const medias = (tag as { medias?: { streams?: { flags?: string[]; stats?: { packets?: number; bytes?: number } }[] }[] })?.medias ?? [];
  for (const m of medias) {
    for (const s of m.streams ?? []) {
      if (!(s.flags ?? []).includes('RTP')) continue;
      packets += Number(s.stats?.packets ?? 0);
      bytes += Number(s.stats?.bytes ?? 0);
    }
  }
  return { packets, bytes };
}

/**
 * Per-leg counters from an NG query answer. rtpengine 10.5 counts what it received from each
 * endpoint; what it sent to a leg is taken as what it received from the other (equal for
 * plain relaying; transcoded streams differ in bytes).
 * TODO(next): loss, jitter and MOS from the query's SSRC section. rtpengine 10.5 left it
 * empty in our loopback test even with RTCP receiver reports sent to it; not verified.
 */
export function statsFromQuery(q: NgMessage, tagA: string, tagB: string): SessionStats {
  const tags = (q['tags'] ?? {}) as Record<string, unknown>;
  const a = sumStreams(tags[tagA]);
  const b = sumStreams(tags[tagB]);
  return {
    a: { packetsIn: a.packets, bytesIn: a.bytes, packetsOut: b.packets, bytesOut: b.bytes },
    b: { packetsIn: b.packets, bytesIn: b.bytes, packetsOut: a.packets, bytesOut: a.bytes },
  };
}

function firstCodec(sdp: string): { codec?: string; held: boolean } {
  try {
    const s = parseSdp(sdp);
    const m = audioMedia(s);
    if (!m) return { held: false };
    const c = m.codecs.find((x) => x.name !== 'telephone-event' && x.name !== 'CN');
    const dir = mediaDirection(s, m);
    return c ? { codec: c.name, held: dir !== 'sendrecv' } : { held: dir !== 'sendrecv' };
  } catch {
    return { held: false };
  }
}

class RtpengineSession extends EventEmitter implements MediaSession {
  readonly id: string;
  readonly #relay: RtpengineRelay;
  readonly #tags: { a: string; b: string };
  readonly #opts: { a?: LegMediaOptions; b?: LegMediaOptions } = {};
  readonly #codec: { a?: string; b?: string } = {};
  #lastOfferFrom: 'a' | 'b' | undefined;
  /** The leg whose RFC 4733 events rtpengine blocks and reports (set once blocked). */
  #eventsFrom: 'a' | 'b' | undefined;
  /** telephone-event payload type rtpengine offered the INFO leg (hidden from it). */
  #infoTePt: number | undefined;
  #answered = false;
  #held = false;
  #closed = false;
  #watch: NodeJS.Timeout | undefined;
  #lastTotal = -1;
  #lastChange = 0;
  #reported = false;

  constructor(relay: RtpengineRelay, id: string) {
    super();
    this.#relay = relay;
    this.id = id;
    this.#tags = { a: `${id}-a`, b: `${id}-b` };
  }

  get closed(): boolean {
    return this.#closed;
  }

  async offer(req: OfferRequest): Promise<string> {
    this.#check();
    const to = req.from === 'a' ? 'b' : 'a';
    this.#opts[req.from] = req.fromLeg;
    this.#opts[to] = req.toLeg;
    const info = this.#infoLeg();
    // rtpengine sees telephone-event on the INFO leg; the INFO leg never does (dtmf-sdp.ts).
    const sdp = info === req.from ? withTelephoneEvent(req.sdp) : req.sdp;
    const msg: NgMessage = { ...offerFlags(req.fromLeg, req.toLeg, this.#relay.dtmfLog !== undefined), 'call-id': this.id, 'from-tag': this.#tags[req.from], sdp };
    if (this.#answered) msg['to-tag'] = this.#tags[to];
    const res = await this.#relay.ng.request('offer', msg);
    this.#lastOfferFrom = req.from;
    const out = this.#sdpOf(res);
    if (info !== to) return out;
    this.#infoTePt = telephoneEventPt(out);
    return withoutTelephoneEvent(out);
  }

  /** The INFO leg of an INFO ⇄ RFC 4733 pair (whose events rtpengine must block and report). */
  #infoLeg(): 'a' | 'b' | undefined {
    const src = interworkedEventSource(this.#opts);
    return src === undefined || !this.#relay.dtmfLog ? undefined : src === 'a' ? 'b' : 'a';
  }

  async answer(req: AnswerRequest): Promise<string> {
    this.#check();
    if (this.#lastOfferFrom === undefined || this.#lastOfferFrom === req.from) {
      throw new MediaError(`answer from leg ${req.from} without an offer from the other leg`);
    }
    const offerer = this.#lastOfferFrom;
    const info = this.#infoLeg();
    // An INFO leg's answer gets back the telephone-event rtpengine offered it (and we hid).
    const sdp = info === req.from && this.#infoTePt !== undefined ? withTelephoneEvent(req.sdp, this.#infoTePt) : req.sdp;
    const msg: NgMessage = {
      'call-id': this.id, 'from-tag': this.#tags[offerer], 'to-tag': this.#tags[req.from], sdp,
      replace: ['origin', 'session-connection'],
    };
    if (this.#opts[offerer]?.stripIce !== false) msg['ICE'] = 'remove';
    const flags: string[] = [];
    if (this.#opts[req.from]?.symmetric === false) flags.push('asymmetric');
    if (injectsDtmf(this.#opts[offerer], this.#opts[req.from])) flags.push('inject DTMF');
    if (flags.length > 0) msg['flags'] = flags;
    const res = await this.#relay.ng.request('answer', msg);
    const answered = this.#sdpOf(res);
    const out = info === offerer ? withoutTelephoneEvent(answered) : answered;
    const mine = firstCodec(req.sdp);
    const theirs = firstCodec(out);
    if (mine.codec) this.#codec[req.from] = mine.codec;
    if (theirs.codec) this.#codec[offerer] = theirs.codec;
    this.#held = mine.held || theirs.held;
    if (!this.#answered) {
      this.#answered = true;
      this.#startWatch();
    }
    await this.#blockInterworkedEvents();
    return out;
  }

  /**
   * RFC 4733 events from a leg facing an INFO leg: rtpengine blocks them (they must not reach
   * the INFO leg as RTP) and its DTMF log reports them. When blocking fails the events pass as
   * RTP and are not reported, so a digit never arrives twice.
   */
  async #blockInterworkedEvents(): Promise<void> {
    const src = interworkedEventSource(this.#opts);
    if (src === undefined || !this.#relay.dtmfLog) {
      this.#eventsFrom = undefined;
      return;
    }
    try {
      await this.#relay.ng.request('blockDTMF', { 'call-id': this.id, 'from-tag': this.#tags[src] });
      this.#eventsFrom = src;
    } catch (e) {
      this.#eventsFrom = undefined;
      this.#relay.log.warn({ callId: this.id, leg: src, err: (e as Error).message }, 'block DTMF failed: RFC 4733 digits pass as RTP, no INFO');
    }
  }

  /** An event from rtpengine's DTMF log for this call. */
  dtmfLogged(sourceTag: string, event: number, durationMs: number): void {
    if (this.#closed) return;
    const from = sourceTag === this.#tags.a ? 'a' : sourceTag === this.#tags.b ? 'b' : undefined;
    if (from === undefined || from !== this.#eventsFrom) return;
    const digit = eventDigit(event);
    if (digit === undefined) return;
    this.emit('dtmf', from, digit, durationMs);
  }

  async playDtmf(from: 'a' | 'b', digit: string, durationMs: number): Promise<void> {
    this.#check();
    if (!/^[0-9*#A-D]$/.test(digit)) throw new MediaError(`not a DTMF digit: ${digit}`);
    await this.#relay.ng.request('playDTMF', {
      'call-id': this.id, 'from-tag': this.#tags[from], code: digit, duration: Math.max(40, Math.min(5000, Math.round(durationMs))),
    });
  }

  async stats(): Promise<SessionStats> {
    this.#check();
    return this.#withCodecs(statsFromQuery(await this.#relay.ng.request('query', { 'call-id': this.id }), this.#tags.a, this.#tags.b));
  }

  async close(): Promise<SessionStats | undefined> {
    if (this.#closed) return undefined;
    this.#closed = true;
    this.#stopWatch();
    this.#relay.forget(this);
    if (!this.#relay.up) return undefined;
    let stats: SessionStats | undefined;
    try {
      stats = this.#withCodecs(statsFromQuery(await this.#relay.ng.request('query', { 'call-id': this.id }), this.#tags.a, this.#tags.b));
    } catch (e) {
      if (isUnknownCall(e)) return undefined;
    }
    try {
      await this.#relay.ng.request('delete', { 'call-id': this.id });
    } catch (e) {
      if (!isUnknownCall(e)) throw e;
    }
    return stats;
  }

  /** The relay lost this session (rtpengine restarted): tell the call once. */
  lost(reason: string): void {
    if (this.#closed || this.#reported) return;
    this.#reported = true;
    this.#stopWatch();
    this.emit('lost', reason);
  }

  #check(): void {
    if (this.#closed) throw new MediaError(`media session ${this.id} is closed`);
    if (!this.#relay.up) throw new MediaError('rtpengine is down');
  }

  #sdpOf(res: NgMessage): string {
    const sdp = res['sdp'];
    if (typeof sdp !== 'string' || sdp === '') throw new MediaError('rtpengine answered without SDP');
    return sdp;
  }

  #withCodecs(s: SessionStats): SessionStats {
    const put = (x: StreamStats, c: string | undefined): void => { if (c !== undefined) x.codec = c; };
    put(s.a, this.#codec.a);
    put(s.b, this.#codec.b);
    return s;
  }

  #startWatch(): void {
    const timeout = this.#relay.mediaTimeoutMs;
    if (timeout <= 0) return;
    this.#lastChange = Date.now();
    this.#watch = setInterval(() => { this.#poll(timeout).catch(() => undefined); }, this.#relay.mediaCheckIntervalMs);
    this.#watch.unref();
  }

  #stopWatch(): void {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
  }

  async #poll(timeout: number): Promise<void> {
    if (this.#closed || this.#reported || !this.#relay.up) return;
    let q: NgMessage;
    try {
      q = await this.#relay.ng.request('query', { 'call-id': this.id });
    } catch (e) {
      if (isUnknownCall(e)) this.lost('rtpengine no longer has the call');
      return;
    }
    const s = statsFromQuery(q, this.#tags.a, this.#tags.b);
    const total = s.a.packetsIn + s.b.packetsIn;
    const now = Date.now();
    // A held call may be silent in both directions: it is not dead.
    if (total !== this.#lastTotal || this.#held) {
      this.#lastTotal = total;
      this.#lastChange = now;
      return;
    }
    if (now - this.#lastChange >= timeout && !this.#reported) {
      this.#reported = true;
      this.#stopWatch();
      this.emit('media-timeout');
    }
  }

  override on<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }

  override off<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this {
    return super.off(event, listener as (...a: unknown[]) => void);
  }
}

export class RtpengineRelay implements MediaRelay {
  readonly name = 'rtpengine';
  readonly mediaCheckIntervalMs: number;
  readonly mediaTimeoutMs: number;
  readonly dtmfLog: DtmfLogSource | undefined;
  readonly log: NgLogger;
  readonly #h: RtpengineHandle;
  readonly #sessions = new Map<string, RtpengineSession>();

  constructor(handle: RtpengineHandle, opts: RtpengineRelayOptions = {}) {
    this.#h = handle;
    this.dtmfLog = opts.dtmfLog;
    this.log = opts.log ?? { debug() {}, warn() {} };
    this.mediaCheckIntervalMs = opts.mediaCheckIntervalMs ?? 10_000;
    this.mediaTimeoutMs = opts.mediaTimeoutMs ?? 60_000;
    const lostOnDown = opts.sessionsLostOnDown ?? true;
    handle.on('down', (reason) => {
      if (!lostOnDown) return;
      for (const s of [...this.#sessions.values()]) s.lost(reason);
    });
  }

  get ng(): NgClient {
    return this.#h.ng;
  }

  get up(): boolean {
    return this.#h.up;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  createSession(callId: string): MediaSession {
    if (!this.#h.up) throw new MediaError('rtpengine is down: no media for new calls');
    if (this.#sessions.has(callId)) throw new MediaError(`media session ${callId} exists already`);
    const s = new RtpengineSession(this, callId);
    this.#sessions.set(callId, s);
    return s;
  }

  /** An event from rtpengine's DTMF log: handed to the call's session (unknown calls are ignored). */
  handleDtmf(ev: { callId: string; sourceTag: string; event: number; durationMs: number }): void {
    this.#sessions.get(ev.callId)?.dtmfLogged(ev.sourceTag, ev.event, ev.durationMs);
  }

  /** Called by a session when it closes. */
  forget(s: { id: string }): void {
    this.#sessions.delete(s.id);
  }

  async health(): Promise<RelayHealth> {
    if (!this.#h.up) return { up: false, sessions: this.#sessions.size, detail: 'rtpengine is down' };
    return { up: true, sessions: this.#sessions.size };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#sessions.values()].map((s) => s.close()));
  }
}
