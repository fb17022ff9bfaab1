// Where inbound legs become calls: admission on the trunk the call came in on, the router's
// decision, the outbound leg built by whichever provider owns the target trunk (SIP trunks:
// src/sip; TDM span groups: src/tdm), media anchoring when a SIP leg is involved, and the
// call registered and started. Every call in the daemon goes through here, whichever side it
// arrives on, so the same routing and limits apply to PRI and SIP calls alike.
// Pure like the rest of src/call: providers, router, relay and clock come in from outside.

import { randomUUID } from 'node:crypto';
import { SignalingError } from '../errors.js';
import type { LegMediaOptions, MediaRelay } from '../media/relay.js';
import type { AdmissionControl } from './admission.js';
import { Call, type CallLogger, type Timers } from './call.js';
import { Cause } from './causes.js';
import { LegBase, type Leg, type LegKind, type MediaDescription, type OriginateRequest } from './leg.js';
import type { CallRegistry } from './registry.js';
import type { RouteDecision, RouteTarget, Router } from './router.js';

/** Builds outbound legs on the trunks it owns (the SIP gateway, the TDM span manager). */
export interface LegProvider {
  readonly kind: LegKind;
  /** True when `trunk` is one of this provider's trunks (a SIP trunk id, a TDM span group). */
  owns(trunk: string): boolean;
  /** A new, not yet originated, outbound leg for this target. */
  createLeg(target: RouteTarget): Leg;
  /** Media options for a leg on this trunk (what the relay offers it). */
  mediaOptions(trunk: string): LegMediaOptions;
}

export interface DispatcherOptions {
  registry: CallRegistry;
  router: Router;
  /**
   * The media relay for a call whose legs are on these trunks (the inbound leg's first, then
   * every route target's), when one can take it: rtpengine or native, chosen per call by
   * src/media/relay-choice.ts. Undefined: calls needing media fail with 47.
   */
  relay: (legs: readonly { trunk: string; options: LegMediaOptions }[]) => MediaRelay | undefined;
  /** Per-trunk limits (maxCalls/maxCps); both the inbound and the outbound trunk are admitted. */
  admission?: AdmissionControl;
  /** False while the daemon drains: new calls are refused with 41 (SIP 503). */
  accepting: () => boolean;
  ringTimeoutMs: () => number;
  log?: CallLogger;
  newId?: () => string;
  now?: () => number;
  timers?: Timers;
}

export type DispatchResult = { ok: true; call: Call } | { ok: false; cause: number; reason: string };

const quiet: CallLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

export class CallDispatcher {
  readonly #o: DispatcherOptions;
  readonly #providers: LegProvider[] = [];

  constructor(o: DispatcherOptions) {
    this.#o = o;
  }

  /** Adds a provider; later providers do not take trunks an earlier one owns. */
  addProvider(p: LegProvider): void {
    this.#providers.push(p);
  }

  removeProvider(p: LegProvider): void {
    const i = this.#providers.indexOf(p);
    if (i >= 0) this.#providers.splice(i, 1);
  }

  providerFor(trunk: string): LegProvider | undefined {
    return this.#providers.find((p) => p.owns(trunk));
  }

  /**
   * Turns an inbound leg into a call. On refusal nothing was started and the caller rejects
   * its leg with the returned cause (SIP: the mapped status; PRI: RELEASE COMPLETE).
   */
  inbound(a: Leg): DispatchResult {
    const o = this.#o;
    const log = o.log ?? quiet;
    if (!o.accepting()) return { ok: false, cause: Cause.TEMPORARY_FAILURE, reason: 'draining: not accepting new calls' };
    const adm = o.admission?.admit(a.trunk);
    if (adm && !adm.ok) return { ok: false, cause: adm.cause, reason: adm.reason };
    let decision: RouteDecision;
    try {
      decision = o.router.decide({ fromTrunk: a.trunk, called: a.called, calling: a.calling });
    } catch (e) {
      adm?.release();
      return { ok: false, cause: Cause.TEMPORARY_FAILURE, reason: `routing failed: ${(e as Error).message}` };
    }
    // Targets nobody can place a leg on are dropped here with a reason, not at dial time.
    const targets = decision.targets.filter((t) => this.providerFor(t.trunk) !== undefined);
    if (targets.length < decision.targets.length) {
      const missing = decision.targets.filter((t) => !targets.includes(t)).map((t) => t.trunk);
      log.warn({ trunks: missing }, 'route targets on trunks no SIP or TDM side owns; skipped');
      decision = { ...decision, targets, explanation: [...decision.explanation, `skipped unknown trunks ${missing.join(', ')}`] };
      if (targets.length === 0) decision.cause ??= Cause.NO_ROUTE_DESTINATION;
    }
    const needsMedia = a.kind === 'sip' || targets.some((t) => this.providerFor(t.trunk)?.kind === 'sip');
    const relay = needsMedia
      ? o.relay([a.trunk, ...targets.map((t) => t.trunk)].map((trunk) => ({ trunk, options: this.#mediaOptions(trunk) })))
      : undefined;
    if (needsMedia && !relay && targets.length > 0) {
      adm?.release();
      decision.release?.();
      return { ok: false, cause: Cause.RESOURCE_UNAVAILABLE, reason: 'no media relay running' };
    }
    // A leg whose media exists only on demand (a PRI B-channel) opens it now, so its offer is
    // there for the relay.
    if (relay && targets.length > 0 && a.anchorMedia) {
      try {
        a.anchorMedia();
      } catch (e) {
        adm?.release();
        decision.release?.();
        return { ok: false, cause: Cause.RESOURCE_UNAVAILABLE, reason: `media: ${(e as Error).message}` };
      }
    }
    // Loop-guard arrivals (this call's, and its transfers') last as long as the call.
    const releases = decision.release ? [decision.release] : [];
    const call = new Call({
      id: o.newId?.() ?? randomUUID(),
      a,
      decision,
      createLeg: (t) => this.#createLeg(t),
      transferRoute: (req) => {
        const d = o.router.decide(req);
        if (d.release) releases.push(d.release);
        return { ...d, targets: d.targets.filter((t) => this.providerFor(t.trunk) !== undefined) };
      },
      findCall: (leg) => o.registry.findByLeg(leg),
      media: relay ? { relay, optionsFor: (trunk) => this.#mediaOptions(trunk) } : undefined,
      ringTimeoutMs: o.ringTimeoutMs(),
      now: o.now,
      timers: o.timers,
      log: o.log,
    });
    o.registry.add(call);
    const ended = (): void => {
      adm?.release();
      for (const r of releases) r();
    };
    call.done.then(ended, ended);
    call.start();
    return { ok: true, call };
  }

  #mediaOptions(trunk: string): LegMediaOptions {
    return this.providerFor(trunk)?.mediaOptions(trunk) ?? { transport: 'RTP/AVP' };
  }

  #createLeg(t: RouteTarget): Leg {
    const p = this.providerFor(t.trunk);
    if (!p) return new RefusedLeg(t, Cause.NO_ROUTE_DESTINATION, `no provider owns trunk ${t.trunk}`);
    const adm = this.#o.admission?.admit(t.trunk);
    if (adm && !adm.ok) return new RefusedLeg(t, adm.cause, adm.reason);
    const leg = p.createLeg(t);
    if (adm) leg.once('hangup', () => adm.release());
    return leg;
  }
}

/** An outbound attempt refused before any signalling (trunk limits): originate fails with the cause. */
export class RefusedLeg extends LegBase implements Leg {
  readonly id: string;
  readonly kind: LegKind = 'sip';
  readonly direction = 'outbound' as const;
  readonly trunk: string;
  readonly calling: string;
  readonly called: string;
  readonly remoteMedia: MediaDescription | undefined = undefined;
  readonly #cause: number;
  readonly #reason: string;

  constructor(t: RouteTarget, cause: number, reason: string) {
    super();
    this.id = `refused-${t.trunk}-${randomUUID()}`;
    this.trunk = t.trunk;
    this.calling = t.calling;
    this.called = t.called;
    this.#cause = cause;
    this.#reason = reason;
  }

  async originate(_req: OriginateRequest): Promise<void> {
    throw new SignalingError(this.#reason, { q850Cause: this.#cause });
  }
  async progress(): Promise<void> {}
  async answer(): Promise<void> {}
  async reject(cause: number): Promise<void> {
    this.ended({ cause, by: 'local' });
  }
  async hangup(cause: number): Promise<void> {
    this.ended({ cause, by: 'local', detail: this.#reason });
  }
  async hold(): Promise<void> {}
  async updateMedia(offer: MediaDescription): Promise<MediaDescription> {
    return offer;
  }
  async sendDtmf(): Promise<void> {}
}
