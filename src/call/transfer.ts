// A blind transfer inside a call: one leg (x, the transferor, e.g. the UC server after a REFER)
// asks for the other leg (y, who stays) to be connected to a new number. The call routes that
// number, places a new leg z with y's media re-offered through the relay, and when z answers
// re-INVITEs y with the new media and puts z in x's place; x is released. The transferor hears
// the outcome through TransferRequest.notify (100, then z's final status). An attended transfer
// whose Replaces names a dialog someone else holds goes the same way, except that z is placed
// on the transferor's trunk (where that dialog lives) and its INVITE carries the Replaces
// header (RFC 3891) for the target to replace its dialog with the transferor by this one.
// Pure: legs, relay and router come from the Call.

import type { HangupInfo, Leg, MediaDescription, TransferRequest } from './leg.js';
import type { LegMediaOptions, MediaSession } from '../media/relay.js';
import type { RouteDecision, RouteRequest, RouteTarget } from './router.js';
import { Cause, q850ToSip } from './causes.js';
import type { CallLogger } from './call-types.js';

export type Side = 'a' | 'b';

export interface TransferHost {
  readonly id: string;
  session(): MediaSession | undefined;
  mediaOptions(trunk: string): LegMediaOptions;
  createLeg(target: RouteTarget): Leg;
  route(req: RouteRequest): RouteDecision;
  /** Runs a handler in the call's serial queue. */
  run(fn: () => Promise<void>): void;
  /** z answered: put it in place of side `side` (listeners and all). */
  replace(side: Side, z: Leg, target: RouteTarget): void;
  /** The transfer failed after the transferor left: end the call with this cause. */
  end(cause: number, by: 'a' | 'b' | 'local'): Promise<void>;
  /** The transfer is over (either way): the call stops routing events to it. */
  done(): void;
  /** The transferor is out of the call: it gets a moment to send its own BYE, then ours. */
  releaseTransferor(x: Leg): void;
  log: CallLogger;
}

export interface TransferSummary {
  from: Side;
  to: string;
  /**
   * blind; attended (Replaces: the new party joined from another call of ours, or reached by
   * an INVITE with Replaces); replaced (this call's dialog was replaced: its party joined
   * another call, `joinedCall`).
   */
  kind?: 'blind' | 'attended' | 'replaced';
  /** The other call of an attended transfer the gateway joined locally. */
  joinedCall?: string;
  trunk?: string;
  /** Q.850 cause of a failed transfer; undefined when it succeeded. */
  cause?: number;
}

export class BlindTransfer {
  readonly summary: TransferSummary;
  /** The transferor hung up (it usually does after the 202 or the final NOTIFY). */
  xGone = false;
  #z: Leg | undefined;
  #target: RouteTarget | undefined;
  #finished = false;

  constructor(
    private readonly host: TransferHost,
    readonly from: Side,
    readonly x: Leg,
    readonly y: Leg,
    private readonly req: TransferRequest,
  ) {
    this.summary = { from, to: req.target, kind: req.replaces ? 'attended' : 'blind' };
  }

  get z(): Leg | undefined {
    return this.#z;
  }

  /** Routes the target and places the new leg. Failures end the transfer (and notify). */
  async start(): Promise<void> {
    const h = this.host;
    const replaces = this.req.replaces?.kind === 'remote' ? this.req.replaces.header : undefined;
    let target: RouteTarget | undefined;
    if (replaces !== undefined) {
      // The dialog to replace is the transferor's with the target, reached where the transferor is.
      target = { trunk: this.x.trunk, called: this.req.target, calling: this.y.calling, reason: 'attended transfer: INVITE with Replaces on the transferor\'s trunk' };
    } else {
      const decision = h.route({ fromTrunk: this.x.trunk, called: this.req.target, calling: this.y.calling });
      target = decision.targets[0];
      if (!target) {
        await this.fail(decision.cause ?? Cause.NO_ROUTE_DESTINATION, 'no route for the transfer target');
        return;
      }
    }
    this.#target = target;
    this.summary.trunk = target.trunk;
    let media: MediaDescription | undefined = this.y.remoteMedia;
    const session = h.session();
    const ySide: Side = this.from === 'a' ? 'b' : 'a';
    if (session && this.y.remoteMedia?.sdp !== undefined) {
      media = {
        sdp: await session.offer({
          sdp: this.y.remoteMedia.sdp, from: ySide, fromLeg: h.mediaOptions(this.y.trunk), toLeg: h.mediaOptions(target.trunk),
        }),
      };
    }
    const z = h.createLeg(target);
    this.#z = z;
    h.log.info({ call: h.id, to: target.called, trunk: target.trunk, replaces }, replaces ? 'attended transfer: INVITE with Replaces' : 'blind transfer: placing the new leg');
    z.on('answer', (m) => h.run(() => this.#onAnswer(z, m)));
    z.on('hangup', (info) => h.run(() => this.#onZHangup(z, info)));
    await z.originate({
      calling: target.calling, called: target.called, ...(media ? { media } : {}),
      ...(replaces !== undefined ? { replaces } : {}), ...(this.req.referredBy !== undefined ? { referredBy: this.req.referredBy } : {}),
    });
  }

  async #onAnswer(z: Leg, m: MediaDescription | undefined): Promise<void> {
    if (this.#finished || z !== this.#z) return;
    this.#finished = true;
    const h = this.host;
    const session = h.session();
    const ySide: Side = this.from === 'a' ? 'b' : 'a';
    let forY: MediaDescription | undefined = m;
    if (session && m?.sdp !== undefined) {
      // Completes z's offer/answer, then offers z's media to y afresh (y's side of the relay),
      // so that y's answer to the re-INVITE goes back into the relay too.
      await session.answer({ sdp: m.sdp, from: this.from });
      forY = { sdp: await session.offer({ sdp: m.sdp, from: this.from, fromLeg: h.mediaOptions(z.trunk), toLeg: h.mediaOptions(this.y.trunk) }) };
    }
    h.replace(this.from, z, this.#target!);
    this.req.notify(200, 'OK');
    h.done();
    if (forY?.sdp !== undefined && this.y.state !== 'ended') {
      // y may have been put on hold by the transferor: the new media also resumes it.
      try {
        const yAnswer = await this.y.updateMedia(forY);
        // y may have moved (new address, port or codec): the relay sends z's media there.
        if (session && !session.closed && yAnswer.sdp !== undefined) await session.answer({ sdp: yAnswer.sdp, from: ySide });
      } catch (e) {
        h.log.warn({ call: h.id, err: (e as Error).message }, 'transfer: re-INVITE of the remaining leg failed');
      }
    }
    // RFC 5589 §6: the transferor normally ends its dialog after the final NOTIFY.
    if (this.x.state !== 'ended') h.releaseTransferor(this.x);
    h.log.info({ call: h.id, to: this.req.target }, 'blind transfer completed');
  }

  async #onZHangup(z: Leg, info: HangupInfo): Promise<void> {
    if (this.#finished || z !== this.#z) return;
    await this.fail(info.cause, info.detail ?? 'transfer target failed', info.sipStatus);
  }

  /** The transferor left while the transfer was under way. */
  async transferorGone(): Promise<void> {
    this.xGone = true;
  }

  /** The remaining leg hung up: give up the transfer and release z. */
  async abandon(cause: number): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.summary.cause = cause;
    this.host.done();
    if (this.#z && this.#z.state !== 'ended') await this.#z.hangup(cause).catch(() => undefined);
  }

  async fail(cause: number, detail: string, sipStatus?: number): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.summary.cause = cause;
    const h = this.host;
    h.log.info({ call: h.id, to: this.req.target, cause, detail }, 'blind transfer failed');
    this.req.notify(sipStatus ?? q850ToSip(cause), detail.slice(0, 60));
    h.done();
    if (this.xGone || this.x.state === 'ended') {
      // Nobody to go back to: the remaining leg is released with the target's cause.
      await h.end(cause, 'local');
      return;
    }
    await this.#restoreTransferor();
  }

  /**
   * The transfer failed and the transferor stays: the relay's x side still holds the offer
   * made toward the failed target; y's and x's last descriptions put it back as it was (same
   * relay ports, so neither leg is re-INVITEd).
   */
  async #restoreTransferor(): Promise<void> {
    const h = this.host;
    const session = h.session();
    const ySdp = this.y.remoteMedia?.sdp;
    const xSdp = this.x.remoteMedia?.sdp;
    if (!session || session.closed || ySdp === undefined || xSdp === undefined) return;
    const ySide: Side = this.from === 'a' ? 'b' : 'a';
    try {
      await session.offer({ sdp: ySdp, from: ySide, fromLeg: h.mediaOptions(this.y.trunk), toLeg: h.mediaOptions(this.x.trunk) });
      await session.answer({ sdp: xSdp, from: this.from });
    } catch (e) {
      h.log.warn({ call: h.id, err: (e as Error).message }, 'transfer failed: the relay could not be put back for the transferor');
    }
  }
}
