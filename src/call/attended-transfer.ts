// Attended transfer joined locally: the transferor (x, e.g. the UC server) has the remaining
// party y in this call and a consultation call, also through the gateway, with the party c;
// its REFER's Replaces names its dialog r in that other call (RFC 5589 §7, RFC 3891). The
// gateway does what the INVITE with Replaces would have done, without sending one: c is
// re-INVITEd into this call's media (y's description through the relay, resumed if held),
// takes x's place, the other call ends (BYE on r), the transferor hears 200 and is released,
// and y is re-INVITEd with c's media (also taking it off hold). Until c accepts its
// re-INVITE nothing has changed: a failure notifies the transferor and both calls stay up.
// Pure: legs, relay and the other call come from the Call.

import type { Leg, LegState, MediaDescription, TransferRequest } from './leg.js';
import type { LegMediaOptions, MediaSession } from '../media/relay.js';
import type { RouteTarget } from './router.js';
import { Cause, q850ToSip, sipToQ850 } from './causes.js';
import { SignalingError } from '../errors.js';
import type { CallLogger } from './call-types.js';
import type { Side, TransferSummary } from './transfer.js';
import { resumed } from './sdp-direction.js';

/** The party another call lends to an attended transfer, and how the loan ends. */
export interface LentLeg {
  /** The lending call's id. */
  readonly callId: string;
  /** The party that stays (c): the lending call's leg opposite the replaced one. */
  readonly leg: Leg;
  /** The join is done: the lending call lets go of c, ends the replaced leg (BYE) and finishes. */
  commit(intoCall: string): void;
  /**
   * The join failed: the lending call takes c back. `moved`: c's media had already been moved
   * to the joining call's relay, so it is re-offered there first.
   */
  giveBack(moved: boolean): void;
}

/** A call that can lend one of its parties (src/call/call.ts). */
export interface LendingCall {
  readonly id: string;
  /** Lends the leg opposite `replaced`; rejects with a SignalingError (sipStatus) when it cannot. */
  lend(replaced: Leg, intoCall: string): Promise<LentLeg>;
}

export interface AttendedHost {
  readonly id: string;
  session(): MediaSession | undefined;
  mediaOptions(trunk: string): LegMediaOptions;
  /** The live call holding this leg, if any. */
  findCall(leg: Leg): LendingCall | undefined;
  /** c takes side `side` in this call (listeners and all). */
  replace(side: Side, c: Leg, target: RouteTarget): void;
  /** The transferor is out of the call: it gets a moment to send its own BYE, then ours. */
  releaseTransferor(x: Leg): void;
  /** The Q.850 cause an error stands for. */
  errorCause(e: unknown): number;
  log: CallLogger;
}

export interface AttendedRequest {
  /** The transferor's side in this call, the transferor, and the party that stays. */
  from: Side;
  x: Leg;
  y: Leg;
  /** The leg carrying the dialog Replaces names. */
  replaced: Leg;
  req: TransferRequest;
  summary: TransferSummary;
}

/** Joins y with the other call's party; the transferor hears the outcome through req.notify. */
export async function attendedJoin(h: AttendedHost, a: AttendedRequest): Promise<void> {
  const { from, x, y, replaced, req, summary } = a;
  const ySide: Side = from === 'a' ? 'b' : 'a';
  const fail = (status: number, reason: string, cause: number, detail: string): void => {
    summary.cause = cause;
    h.log.info({ call: h.id, status, detail }, 'attended transfer failed');
    req.notify(status, reason);
  };
  if (replaced === x || replaced === y) {
    fail(603, 'Declined', sipToQ850(603), 'Replaces names a dialog of the same call');
    return;
  }
  const other = h.findCall(replaced);
  if (!other || other.id === h.id) {
    fail(481, 'Call Does Not Exist', sipToQ850(481), 'no call holds the dialog Replaces names');
    return;
  }
  let lent: LentLeg;
  try {
    lent = await other.lend(replaced, h.id);
  } catch (e) {
    const status = e instanceof SignalingError && e.sipStatus !== undefined ? e.sipStatus : 481;
    fail(status, status === 481 ? 'Call Does Not Exist' : 'Declined', h.errorCause(e), (e as Error).message);
    return;
  }
  const c = lent.leg;
  summary.trunk = c.trunk;
  summary.joinedCall = other.id;
  h.log.info({ call: h.id, other: other.id, leg: c.id, trunk: c.trunk }, 'attended transfer: joining the consultation call\'s party');
  const session = h.session();
  let moved = false;
  let fromC: MediaDescription;
  try {
    const ySdp = y.remoteMedia?.sdp;
    if (ySdp === undefined) throw new SignalingError('the remaining party has no media description', { sipStatus: 488, q850Cause: Cause.INCOMPATIBLE_DESTINATION });
    const toC = session
      ? await session.offer({ sdp: resumed(ySdp), from: ySide, fromLeg: h.mediaOptions(y.trunk), toLeg: h.mediaOptions(c.trunk) })
      : resumed(ySdp);
    fromC = await c.updateMedia({ sdp: toC });
    moved = true;
    if (session && fromC.sdp !== undefined) await session.answer({ sdp: fromC.sdp, from });
    if (y.state === 'ended') {
      throw new SignalingError('the remaining party left during the transfer', { sipStatus: 487, q850Cause: Cause.NORMAL_CLEARING });
    }
  } catch (e) {
    lent.giveBack(moved);
    await restoreTransferor(h, from, x, y);
    const status = e instanceof SignalingError && e.sipStatus !== undefined ? e.sipStatus : q850ToSip(h.errorCause(e));
    fail(status, 'Transfer Failed', h.errorCause(e), (e as Error).message);
    return;
  }
  h.replace(from, c, { trunk: c.trunk, called: c.called, calling: c.calling, reason: `attended transfer: joined from call ${other.id}` });
  lent.commit(h.id);
  req.notify(200, 'OK');
  // (Re-read after the awaits: TypeScript still holds the narrowing from before them.)
  if (fromC.sdp !== undefined && (y.state as LegState) !== 'ended') {
    // y gets c's media afresh (y's side of the relay), which also takes it off hold.
    try {
      const toY = session
        ? await session.offer({ sdp: resumed(fromC.sdp), from, fromLeg: h.mediaOptions(c.trunk), toLeg: h.mediaOptions(y.trunk) })
        : resumed(fromC.sdp);
      const yAnswer = await y.updateMedia({ sdp: toY });
      if (session && !session.closed && yAnswer.sdp !== undefined) await session.answer({ sdp: yAnswer.sdp, from: ySide });
    } catch (e) {
      h.log.warn({ call: h.id, err: (e as Error).message }, 'attended transfer: re-INVITE of the remaining party failed');
    }
  }
  // RFC 5589 §7: the transferor normally ends its dialog after the final NOTIFY.
  if (x.state !== 'ended') h.releaseTransferor(x);
  h.log.info({ call: h.id, other: other.id }, 'attended transfer completed');
}

/**
 * The join failed: the relay's x side may hold the offer made toward c; y's and x's last
 * descriptions put it back as it was (same relay ports, so neither leg is re-INVITEd).
 */
async function restoreTransferor(h: AttendedHost, from: Side, x: Leg, y: Leg): Promise<void> {
  const session = h.session();
  const ySdp = y.remoteMedia?.sdp;
  const xSdp = x.remoteMedia?.sdp;
  if (!session || session.closed || ySdp === undefined || xSdp === undefined) return;
  try {
    await session.offer({ sdp: ySdp, from: from === 'a' ? 'b' : 'a', fromLeg: h.mediaOptions(y.trunk), toLeg: h.mediaOptions(x.trunk) });
    await session.answer({ sdp: xSdp, from });
  } catch (e) {
    h.log.warn({ call: h.id, err: (e as Error).message }, 'attended transfer failed: the relay could not be put back for the transferor');
  }
}
