// The Call: an inbound leg A, the outbound leg B it is routed to, and the media session that
// anchors them. It walks the route decision (failover), passes SDP through the relay, forwards
// progress/answer/DTMF/hold, and tears everything down in one place when either side ends.
// No I/O here: legs and the relay arrive through the constructor, the clock and timers too.

import { EventEmitter } from 'node:events';
import type { Leg, LegEvents, LegState, HangupInfo, MediaDescription, MediaUpdate, PassedRefer, ProgressInfo, DtmfEvent, TransferRequest } from './leg.js';
import type { MediaSession, LegMediaOptions, SessionStats } from '../media/relay.js';
import { type RouteTarget, type Attempt, nextTarget, finalCause } from './router.js';
import { BlindTransfer, type Side, type TransferSummary } from './transfer.js';
import { lateAnswer } from './late-offer.js';
import { attendedJoin, type AttendedHost, type LendingCall, type LentLeg } from './attended-transfer.js';
import { lendParty } from './lending.js';
import { callRecord } from './record.js';
import { forwardDtmf, passRefer, relayUpdate, type MidCallHost } from './mid-call.js';
import { Cause } from './causes.js';
import { MediaError, SignalingError, SpangateError, TimeoutError } from '../errors.js';

import type { CallEvents, CallLogger, CallOptions, CallRecord, CallState, Timers } from './call-types.js';
export type { CallEvents, CallLogger, CallMedia, CallOptions, CallRecord, CallState, Disposition, LegSummary, Timers } from './call-types.js';

const ORDER: Record<CallState, number> = { routing: 0, proceeding: 1, early: 2, answered: 3, ended: 4 };

const noopLog: CallLogger = { debug() {}, info() {}, warn() {} };
/** How long a transferor that left the call gets to send its own BYE before we send ours. */
const TRANSFEROR_GRACE_MS = 4000;

function errorCause(e: unknown): number {
  if (e instanceof SignalingError && e.q850Cause !== undefined) return e.q850Cause;
  if (e instanceof MediaError || e instanceof TimeoutError) return Cause.RESOURCE_UNAVAILABLE;
  return Cause.TEMPORARY_FAILURE;
}

export class Call extends EventEmitter implements LendingCall {
  readonly id: string;
  #a: Leg;
  #b: Leg | undefined;
  #transfer: BlindTransfer | undefined;
  /** An attended transfer of ours is joining another call's party. */
  #joining = false;
  /** Our party lent to another call's attended transfer (never hung up by us meanwhile). */
  #lent: Leg | undefined;
  /** Listeners this call put on each leg, to take them off when the leg leaves the call. */
  readonly #listeners = new Map<Leg, [string, (...args: never[]) => void][]>();
  readonly #transfers: TransferSummary[] = [];
  /** Transferors out of the call, waiting out their grace period. */
  readonly #leaving = new Set<Leg>();
  #state: CallState = 'routing';
  readonly #opts: CallOptions;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #log: CallLogger;
  #session: MediaSession | undefined;
  readonly #attempts: Attempt[] = [];
  #target: RouteTarget | undefined;
  #ringTimer: unknown;
  #serial: Promise<void> = Promise.resolve();
  #endedBy: CallRecord['endedBy'] = 'local';
  #cause: number = Cause.NORMAL_CLEARING;
  /** Why spangate ended the call, when it did (goes into the record's cause text). */
  #detail: string | undefined;
  #closing = false;
  /** A's INVITE carried no offer: B is invited without one and offers in its answer. */
  #late = false;
  /** The last SDP sent to A in early media, reused if B answers without a body. */
  #earlyToA: MediaDescription | undefined;
  #bFailed = false;
  readonly #times: { start: number; progress?: number; answer?: number; end?: number };
  readonly #done: Promise<CallRecord>;
  #resolveDone!: (r: CallRecord) => void;

  constructor(opts: CallOptions) {
    super();
    this.id = opts.id;
    this.#a = opts.a;
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#timers = opts.timers ?? { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.#log = opts.log ?? noopLog;
    this.#times = { start: this.#now() };
    this.#done = new Promise((r) => { this.#resolveDone = r; });
    this.#bindA(opts.a);
  }

  /** The caller's side (after A transferred the call away, the leg now in A's place). */
  get a(): Leg {
    return this.#a;
  }

  #listen<E extends keyof LegEvents>(leg: Leg, event: E, fn: (...args: LegEvents[E]) => void): void {
    leg.on(event, fn);
    const list = this.#listeners.get(leg) ?? [];
    list.push([event, fn as unknown as (...args: never[]) => void]);
    this.#listeners.set(leg, list);
  }

  /** Takes this call's listeners off a leg that now belongs to another call. */
  #unbind(leg: Leg): void {
    for (const [event, fn] of this.#listeners.get(leg) ?? []) leg.off(event as keyof LegEvents, fn as never);
    this.#listeners.delete(leg);
  }

  #bindA(a: Leg): void {
    this.#listen(a, 'hangup', (info) => this.#run(() => this.#onAHangup(a, info)));
    this.#listen(a, 'dtmf', (ev) => { if (a === this.#a) this.#forwardDtmf('a', this.#b, ev); });
    this.#listen(a, 'update', (u) => this.#run(() => (a === this.#a ? this.#onUpdate('a', u) : Promise.resolve(u.reject(Cause.TEMPORARY_FAILURE)))));
    this.#listen(a, 'transfer', (req) => this.#run(() => this.#onTransfer('a', a, req)));
    // Queued behind the answer (a REFER may follow the ACK at once), then left to run on its own.
    this.#listen(a, 'refer-pass', (r) => this.#run(async () => { if (a === this.#a && a !== this.#lent) void this.#passRefer(this.#b, r); else r.respond(603, 'Declined'); }));
  }

  #bindB(b: Leg): void {
    this.#listen(b, 'hangup', (info) => this.#run(() => this.#onBHangup(b, info)));
    this.#listen(b, 'dtmf', (ev) => { if (b === this.#b) this.#forwardDtmf('b', this.#a, ev); });
    this.#listen(b, 'update', (u) => this.#run(() => (b === this.#b ? this.#onUpdate('b', u) : Promise.resolve(u.reject(Cause.TEMPORARY_FAILURE)))));
    this.#listen(b, 'transfer', (req) => this.#run(() => this.#onTransfer('b', b, req)));
    this.#listen(b, 'refer-pass', (r) => this.#run(async () => { if (b === this.#b && b !== this.#lent) void this.#passRefer(this.#a, r); else r.respond(603, 'Declined'); }));
  }

  get state(): CallState {
    return this.#state;
  }

  /** The media relay anchoring the call ('rtpengine', 'native'); undefined when none does. */
  get relayName(): string | undefined {
    return this.#opts.media?.relay.name;
  }

  get b(): Leg | undefined {
    return this.#b;
  }

  /** Resolves with the call's record once it has ended and its media is released. */
  get done(): Promise<CallRecord> {
    return this.#done;
  }

  /** Routes the call: places the first outbound leg (or refuses the call). */
  start(): void {
    this.#run(async () => {
      if (this.#opts.decision.targets.length === 0) {
        this.#log.info({ call: this.id, explanation: this.#opts.decision.explanation }, 'no route');
        await this.#fail(finalCause(this.#opts.decision, []));
        return;
      }
      await this.#tryNext();
    });
  }

  /** Ends the call from spangate's side (admin hangup, shutdown, dead media) with this cause. */
  close(cause: number = Cause.NORMAL_CLEARING, detail?: string): Promise<CallRecord> {
    this.#run(async () => {
      if (this.#state === 'ended' || this.#closing) return;
      this.#log.info({ call: this.id, cause, detail }, 'closing call');
      this.#endedBy = 'local';
      if (detail !== undefined) this.#detail = detail;
      await this.#teardown(cause);
    });
    return this.#done;
  }

  // Event handlers run one at a time, in arrival order, so an answer never overtakes the
  // early media before it and a hangup never interleaves with an offer in flight.
  #run(fn: () => Promise<void>): void {
    this.#serial = this.#serial.then(fn).catch((e: unknown) => {
      this.#log.warn({ call: this.id, err: e instanceof Error ? e.message : String(e) }, 'call handler failed');
      return this.#teardown(errorCause(e)).catch(() => undefined);
    });
  }

  #setState(s: CallState): void {
    if (ORDER[s] <= ORDER[this.#state]) return;
    this.#state = s;
    this.emit('state', s);
  }

  #mediaOptions(trunk: string): LegMediaOptions {
    return this.#opts.media!.optionsFor(trunk);
  }

  async #tryNext(): Promise<void> {
    const target = nextTarget(this.#opts.decision, this.#attempts);
    if (!target || this.a.state === 'ended') {
      await this.#fail(finalCause(this.#opts.decision, this.#attempts));
      return;
    }
    this.#target = target;
    const offer = this.a.remoteMedia?.sdp;
    let media: MediaDescription | undefined;
    if (this.#opts.media && offer !== undefined) {
      try {
        this.#session ??= this.#openSession();
        media = {
          sdp: await this.#session.offer({
            sdp: offer, from: 'a', fromLeg: this.#mediaOptions(this.a.trunk), toLeg: this.#mediaOptions(target.trunk),
          }),
        };
      } catch (e) {
        // The relay is shared by every target: failing over would fail the same way.
        this.#log.warn({ call: this.id, err: (e as Error).message }, 'media relay refused the offer');
        await this.#fail(e instanceof SignalingError && e.q850Cause !== undefined ? e.q850Cause : Cause.RESOURCE_UNAVAILABLE);
        return;
      }
    } else if (offer !== undefined) {
      media = { sdp: offer };
    }
    // No offer from A (late offer): B is invited without one too, and the offer in its answer
    // goes through the relay to A (#onLateAnswer). RFC 3261 §13.2.1 both ways, and rtpengine
    // sees an ordinary offer (from B) and answer (from A's ACK).
    this.#late = offer === undefined && typeof this.a.answerWithOffer === 'function';
    // (Re-read after the await: TypeScript still holds the narrowing from before it.)
    if ((this.a.state as LegState) === 'ended') {
      // A gave up while the relay was busy with the offer: its hangup handler finishes the call.
      return;
    }
    const b = this.#opts.createLeg(target);
    this.#b = b;
    this.#bFailed = false;
    this.#log.info({ call: this.id, trunk: target.trunk, called: target.called, reason: target.reason }, 'placing outbound leg');
    b.on('progress', (info) => this.#run(() => this.#onProgress(b, info)));
    b.on('early-media', (m) => this.#run(() => this.#onEarlyMedia(b, m)));
    b.on('answer', (m) => this.#run(() => this.#onAnswer(b, m)));
    this.#bindB(b);
    const ring = this.#opts.ringTimeoutMs ?? 0;
    if (ring > 0) {
      this.#clearRing();
      this.#ringTimer = this.#timers.setTimeout(() => {
        this.#ringTimer = undefined;
        if (this.#b === b && this.#state !== 'answered') {
          this.#log.info({ call: this.id }, 'no answer before ring timeout');
          b.hangup(Cause.NO_ANSWER).catch(() => undefined);
        }
      }, ring);
    }
    try {
      const hops = this.a.maxForwards;
      await b.originate({ calling: target.calling, called: target.called, media, ...(hops !== undefined ? { maxForwards: Math.max(0, hops - 1) } : {}) });
    } catch (e) {
      // The leg could not even be placed (trunk down, limits): treat as a failed attempt.
      if (!(e instanceof SpangateError)) throw e;
      const cause = errorCause(e);
      if (b.state !== 'ended') await b.hangup(cause).catch(() => undefined);
      await this.#attemptFailed(b, { cause, by: 'local', detail: e.message });
    }
  }

  #openSession(): MediaSession {
    const s = this.#opts.media!.relay.createSession(this.id);
    s.on('media-timeout', () => { this.close(Cause.RECOVERY_ON_TIMER_EXPIRY, 'media timeout').catch(() => undefined); });
    s.on('lost', (why) => { this.close(Cause.TEMPORARY_FAILURE, `media session lost: ${why}`).catch(() => undefined); });
    // RFC 4733 digits the relay kept from an INFO leg: the other leg sends them on (SIP INFO).
    // A TDM leg reports its digits itself (in-band detection on the B-channel, whose endpoint
    // also sends them as RFC 4733): those come from the leg, not twice.
    s.on('dtmf', (from, digit, durationMs) => {
      const src = from === 'a' ? this.#a : this.#b;
      if (src?.kind === 'tdm') return;
      this.#forwardDtmf(from, from === 'a' ? this.#b : this.#a, { digit, durationMs, source: 'rfc4733' });
    });
    return s;
  }

  async #onProgress(b: Leg, info: ProgressInfo): Promise<void> {
    if (b !== this.#b || this.#state === 'ended' || this.#state === 'answered') return;
    this.#times.progress ??= this.#now();
    this.#setState('proceeding');
    if (this.a.state !== 'ended') await this.a.progress(info);
  }

  async #onEarlyMedia(b: Leg, m: MediaDescription): Promise<void> {
    if (b !== this.#b || this.#state === 'ended' || this.#state === 'answered') return;
    this.#times.progress ??= this.#now();
    if (this.#late) {
      // An SDP in a provisional answer to an offerless INVITE is an offer A could only answer
      // in a PRACK: A hears plain progress, and B's offer is taken from its 200.
      this.#setState('proceeding');
      if (this.a.state !== 'ended') await this.a.progress({ ringing: false, sipStatus: 183 });
      return;
    }
    const sdp = await this.#answerSdp(m);
    if (sdp) this.#earlyToA = sdp;
    this.#setState('early');
    if (this.a.state !== 'ended') await this.a.progress({ ringing: false, sipStatus: 183 }, sdp);
  }

  async #onAnswer(b: Leg, m: MediaDescription | undefined): Promise<void> {
    if (b !== this.#b || this.#state === 'ended' || this.#state === 'answered') return;
    this.#clearRing();
    if (this.#late) return this.#onLateAnswer(b, m);
    const sdp = (m ? await this.#answerSdp(m) : undefined) ?? this.#earlyToA;
    this.#times.answer = this.#now();
    this.#setState('answered');
    this.#log.info({ call: this.id }, 'answered');
    await this.a.answer(sdp);
  }

  /** Late offer: B's 200 carries the offer (src/call/late-offer.ts). */
  async #onLateAnswer(b: Leg, m: MediaDescription | undefined): Promise<void> {
    await lateAnswer({
      id: this.id,
      a: this.a,
      b,
      relayed: this.#opts.media !== undefined,
      session: () => (this.#session ??= this.#openSession()),
      mediaOptions: (trunk) => this.#mediaOptions(trunk),
      closing: () => this.#closing,
      committed: () => this.#setState('answered'),
      answered: () => { this.#times.answer = this.#now(); },
      fail: async (cause, detail) => {
        if (this.#closing) return;
        this.#log.warn({ call: this.id, cause, detail }, 'late offer failed');
        this.#detail = detail;
        this.#endedBy = 'local';
        await this.#teardown(cause);
      },
      errorCause,
      log: this.#log,
    }, m);
  }

  async #answerSdp(m: MediaDescription): Promise<MediaDescription | undefined> {
    if (m.sdp === undefined) return undefined;
    if (!this.#session) return { sdp: m.sdp };
    return { sdp: await this.#session.answer({ sdp: m.sdp, from: 'b' }) };
  }

  async #onBHangup(b: Leg, info: HangupInfo): Promise<void> {
    if (this.#transfer && b === this.#transfer.x) return this.#transfer.transferorGone();
    if (b !== this.#b || this.#state === 'ended' || this.#closing) return;
    if (this.#state === 'answered') {
      this.#endedBy = info.by === 'remote' ? 'b' : 'local';
      await this.#teardown(info.cause);
      return;
    }
    await this.#attemptFailed(b, info);
  }

  async #attemptFailed(b: Leg, info: HangupInfo): Promise<void> {
    if (b !== this.#b || this.#closing) return;
    this.#clearRing();
    const attempt: Attempt = { target: this.#target!, cause: info.cause };
    if (info.detail !== undefined) attempt.detail = info.detail;
    this.#attempts.push(attempt);
    this.#bFailed = true;
    this.#log.info({ call: this.id, trunk: this.#target!.trunk, cause: info.cause, detail: info.detail }, 'attempt failed');
    if (this.a.state === 'ended') return;
    if (nextTarget(this.#opts.decision, this.#attempts)) {
      await this.#tryNext();
      return;
    }
    this.#endedBy = info.by === 'remote' ? 'b' : 'local';
    await this.#fail(info.cause);
  }

  async #onAHangup(a: Leg, info: HangupInfo): Promise<void> {
    if (this.#transfer && a === this.#transfer.x) return this.#transfer.transferorGone();
    if (a !== this.#a || this.#state === 'ended' || this.#closing) return;
    this.#endedBy = info.by === 'remote' ? 'a' : 'local';
    await this.#teardown(info.cause);
  }

  async #onUpdate(from: 'a' | 'b', u: MediaUpdate): Promise<void> {
    const other = from === 'a' ? this.#b : this.a;
    const self = from === 'a' ? this.a : this.#b;
    // While a party is lent to another call's transfer, its media is that transfer's to change.
    if (this.#state !== 'answered' || !other || other.state === 'ended' || (this.#lent !== undefined && (other === this.#lent || self === this.#lent))) {
      u.reject(Cause.TEMPORARY_FAILURE);
      return;
    }
    const fromTrunk = from === 'a' ? this.a.trunk : this.#target!.trunk;
    const toTrunk = from === 'a' ? this.#target!.trunk : this.a.trunk;
    await relayUpdate(this.#midCall, from, fromTrunk, toTrunk, other, u);
  }

  async #onTransfer(from: Side, x: Leg, req: TransferRequest): Promise<void> {
    const y = from === 'a' ? this.#b : this.#a;
    const current = from === 'a' ? this.#a : this.#b;
    const route = this.#opts.transferRoute;
    if (x !== current || this.#state !== 'answered' || this.#closing || this.#transfer || this.#joining || this.#lent || !route || !y || y.state === 'ended') {
      req.notify(603, 'Declined');
      return;
    }
    if (req.replaces?.kind === 'local') {
      await this.#joinLocal(from, x, y, req.replaces.leg, req);
      return;
    }
    const t = new BlindTransfer({
      ...this.#transferHost,
      createLeg: (target) => this.#opts.createLeg(target),
      route,
      run: (fn) => this.#run(fn),
      end: async (cause, by) => {
        this.#endedBy = by;
        await this.#teardown(cause);
      },
      done: () => { this.#transfer = undefined; },
    }, from, x, y, req);
    this.#transfer = t;
    this.#transfers.push(t.summary);
    try {
      await t.start();
    } catch (e) {
      this.#log.warn({ call: this.id, err: (e as Error).message }, 'blind transfer could not start');
      await t.fail(errorCause(e), (e as Error).message);
    }
  }

  /** What blind and attended transfers both need of the call. */
  get #transferHost(): Pick<AttendedHost, 'id' | 'session' | 'mediaOptions' | 'replace' | 'releaseTransferor' | 'log'> {
    return {
      id: this.id,
      session: () => this.#session,
      mediaOptions: (trunk) => this.#mediaOptions(trunk),
      // The new party takes side `side` (listeners and all).
      replace: (side, z, target) => {
        if (side === 'a') {
          this.#a = z;
          this.#bindA(z);
        } else {
          this.#b = z;
          this.#target = target;
          this.#bindB(z);
        }
      },
      releaseTransferor: (leg) => this.#releaseTransferor(leg),
      log: this.#log,
    };
  }

  /** Attended transfer to a dialog of ours (src/call/attended-transfer.ts). */
  async #joinLocal(from: Side, x: Leg, y: Leg, replaced: Leg, req: TransferRequest): Promise<void> {
    const summary: TransferSummary = { from, to: req.target, kind: 'attended' };
    this.#transfers.push(summary);
    const findCall = this.#opts.findCall;
    this.#joining = true;
    try {
      await attendedJoin({
        ...this.#transferHost,
        findCall: (leg) => findCall?.(leg),
        errorCause,
      }, { from, x, y, replaced, req, summary });
    } finally {
      this.#joining = false;
    }
  }

  /** Another call's attended transfer names `replaced`, one of our legs: lends it the other party (src/call/lending.ts). */
  lend(replaced: Leg, intoCall: string): Promise<LentLeg> {
    return lendParty({
      id: this.id,
      a: () => this.#a,
      b: () => this.#b,
      state: () => this.#state,
      closing: () => this.#closing,
      busy: () => this.#joining || this.#transfer !== undefined || this.#lent !== undefined,
      lent: () => this.#lent,
      setLent: (leg) => { this.#lent = leg; },
      run: (fn) => this.#run(fn),
      unbind: (leg) => this.#unbind(leg),
      recordTransfer: (x) => { this.#transfers.push(x); },
      close: (cause, detail) => { this.close(cause, detail).catch(() => undefined); },
      session: () => this.#session,
      mediaOptions: (trunk) => this.#mediaOptions(trunk),
      log: this.#log,
    }, replaced, intoCall);
  }

  #releaseTransferor(leg: Leg): void {
    this.#leaving.add(leg);
    this.#timers.setTimeout(() => {
      this.#leaving.delete(leg);
      if (leg.state !== 'ended') leg.hangup(Cause.NORMAL_CLEARING).catch(() => undefined);
    }, TRANSFEROR_GRACE_MS);
  }

  /** A REFER under trunk policy `pass`: sent on by the other leg, its outcome and NOTIFYs relayed back. */
  async #passRefer(to: Leg | undefined, r: PassedRefer): Promise<void> {
    if (!to || !to.refer || this.#state !== 'answered' || this.#closing || to.state === 'ended') {
      r.respond(603, 'Declined');
      return;
    }
    await passRefer(this.#midCall, to as Leg & Required<Pick<Leg, 'refer'>>, r);
  }

  #forwardDtmf(from: 'a' | 'b', to: Leg | undefined, ev: DtmfEvent): void {
    if (!to || this.#state !== 'answered' || to.state === 'ended' || this.#lent !== undefined) return;
    forwardDtmf(this.#midCall, from, to, ev);
  }

  /** The call's side of the mid-call helpers (src/call/mid-call.ts). */
  get #midCall(): MidCallHost {
    return { id: this.id, session: () => this.#session, mediaOptions: (trunk) => this.#mediaOptions(trunk), errorCause, log: this.#log };
  }

  #clearRing(): void {
    if (this.#ringTimer !== undefined) this.#timers.clearTimeout(this.#ringTimer);
    this.#ringTimer = undefined;
  }

  /** Refuses the unanswered call on leg A with this cause, then finishes. */
  async #fail(cause: number): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#cause = cause;
    if (this.a.state !== 'ended') await this.a.reject(cause).catch(() => undefined);
    await this.#finish();
  }

  /** Ends both legs (the close cascade), then the media session, then reports. */
  async #teardown(cause: number): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#cause = cause;
    this.#clearRing();
    const jobs: Promise<void>[] = [];
    if (this.#transfer) jobs.push(this.#transfer.abandon(cause));
    for (const x of this.#leaving) if (x.state !== 'ended') jobs.push(x.hangup(cause));
    const b = this.#b;
    if (b && b.state !== 'ended' && b !== this.#lent) jobs.push(b.hangup(cause));
    if (this.a.state !== 'ended' && this.a !== this.#lent) {
      jobs.push(this.#state === 'answered' ? this.a.hangup(cause) : this.a.reject(cause));
    }
    await Promise.allSettled(jobs);
    await this.#finish();
  }

  async #finish(): Promise<void> {
    this.#clearRing();
    let media: SessionStats | undefined;
    if (this.#session) {
      media = await this.#session.close().catch((e: unknown) => {
        this.#log.warn({ call: this.id, err: (e as Error).message }, 'media session close failed');
        return undefined;
      });
    }
    this.#times.end = this.#now();
    this.#setState('ended');
    const record = this.#record(media);
    this.#log.info({ call: this.id, disposition: record.disposition, cause: record.cause }, 'call ended');
    this.emit('ended', record);
    this.#resolveDone(record);
  }

  #record(media: SessionStats | undefined): CallRecord {
    return callRecord({
      id: this.id, a: this.a, b: this.#b, decision: this.#opts.decision, cause: this.#cause, detail: this.#detail,
      endedBy: this.#endedBy, times: { ...this.#times, end: this.#times.end ?? this.#now() }, attempts: this.#attempts,
      bFailed: this.#bFailed, transfers: this.#transfers, media,
    });
  }

  override on<E extends keyof CallEvents>(event: E, listener: (...args: CallEvents[E]) => void): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
}
