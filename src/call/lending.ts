// The lending side of an attended transfer joined locally (src/call/attended-transfer.ts):
// another call's REFER names one of this call's dialogs (r), so this call lends it the party
// opposite r (c). While lent, c's mid-call offers and digits are not this call's to handle;
// on commit the call lets go of c, records that it was replaced, and ends (BYE on r only);
// on give-back it takes c as it was, re-offering c's media to its own relay when it had been
// moved. Pure: the Call hands in its state through LendHost.

import type { Leg } from './leg.js';
import type { LegMediaOptions, MediaSession } from '../media/relay.js';
import { Cause } from './causes.js';
import { SignalingError } from '../errors.js';
import type { CallLogger, CallState } from './call-types.js';
import type { LentLeg } from './attended-transfer.js';
import type { Side, TransferSummary } from './transfer.js';
import { resumed } from './sdp-direction.js';

export interface LendHost {
  readonly id: string;
  a(): Leg;
  b(): Leg | undefined;
  state(): CallState;
  closing(): boolean;
  /** A transfer of this call's own is under way, or a party is already lent. */
  busy(): boolean;
  lent(): Leg | undefined;
  setLent(leg: Leg | undefined): void;
  /** Runs a handler in the call's serial queue. */
  run(fn: () => Promise<void>): void;
  /** Takes the call's listeners off a leg that now belongs to another call. */
  unbind(leg: Leg): void;
  recordTransfer(s: TransferSummary): void;
  /** Ends the call from our side (the lent leg is left alone). */
  close(cause: number, detail: string): void;
  session(): MediaSession | undefined;
  mediaOptions(trunk: string): LegMediaOptions;
  log: CallLogger;
}

function refusal(status: number, why: string): SignalingError {
  return new SignalingError(why, { sipStatus: status, q850Cause: Cause.TEMPORARY_FAILURE });
}

/** Lends the party opposite `replaced`; rejects with the status for the transferor's NOTIFY. */
export function lendParty(h: LendHost, replaced: Leg, intoCall: string): Promise<LentLeg> {
  // Checked now as well as in the queue: two calls transferring into each other at once
  // must not each wait for the other's queue.
  if (h.busy()) return Promise.reject(refusal(603, `call ${h.id} is busy with another transfer`));
  return new Promise((resolve, reject) => h.run(async () => {
    const a = h.a();
    const b = h.b();
    const side: Side | undefined = replaced === a ? 'a' : replaced === b ? 'b' : undefined;
    const c = side === 'a' ? b : side === 'b' ? a : undefined;
    if (!side || h.closing() || h.state() === 'ended' || replaced.state === 'ended') {
      reject(refusal(481, `call ${h.id} no longer holds the dialog to replace`));
      return;
    }
    if (h.state() !== 'answered' || !c || c.state !== 'answered') {
      // RFC 3891 §3: a dialog we did not initiate can be replaced only once confirmed.
      reject(refusal(481, `call ${h.id} is not answered`));
      return;
    }
    if (h.busy()) {
      reject(refusal(603, `call ${h.id} is busy with another transfer`));
      return;
    }
    h.setLent(c);
    h.log.info({ call: h.id, into: intoCall, leg: c.id }, 'lending a party to an attended transfer');
    resolve({
      callId: h.id,
      leg: c,
      commit: (into) => {
        h.unbind(c);
        h.recordTransfer({ from: side, to: replaced.called, kind: 'replaced', joinedCall: into, trunk: c.trunk });
        // RFC 3891 §3: the replaced dialog ends (BYE); the lent party stays with the other call.
        h.close(Cause.NORMAL_CLEARING, `replaced: its party joined call ${into} by attended transfer`);
      },
      giveBack: (moved) => {
        h.run(async () => {
          if (h.lent() === c) h.setLent(undefined);
          if (moved) await reanchor(h, replaced, c);
        });
      },
    });
  }));
}

/** c's media went to another call's relay and came back: offer it ours again (from r's side). */
async function reanchor(h: LendHost, r: Leg, c: Leg): Promise<void> {
  const rSdp = r.remoteMedia?.sdp;
  if (h.state() !== 'answered' || h.closing() || c.state === 'ended' || rSdp === undefined) return;
  const rSide: Side = r === h.a() ? 'a' : 'b';
  const session = h.session();
  try {
    const toC = session
      ? await session.offer({ sdp: resumed(rSdp), from: rSide, fromLeg: h.mediaOptions(r.trunk), toLeg: h.mediaOptions(c.trunk) })
      : resumed(rSdp);
    const ans = await c.updateMedia({ sdp: toC });
    if (session && !session.closed && ans.sdp !== undefined) await session.answer({ sdp: ans.sdp, from: rSide === 'a' ? 'b' : 'a' });
  } catch (e) {
    h.log.warn({ call: h.id, err: (e as Error).message }, 'party back from a failed transfer could not be re-anchored');
  }
}
