// Late offer in the call: A's INVITE carried no SDP, so B was invited without one and B's 200
// carries the offer. It goes through the relay to A (answerWithOffer: our 200); A's answer
// (in its ACK) goes back through the relay to B (confirmAnswer: B's ACK). RFC 3261 §13.2.1
// both ways, and the relay sees an ordinary offer (from B) and answer (from A). Any failure on
// the way ends both sides with the reason in the record. Pure: legs and relay come from the Call.

import type { Leg, MediaDescription } from './leg.js';
import type { LegMediaOptions, MediaSession } from '../media/relay.js';
import { Cause } from './causes.js';
import type { CallLogger } from './call-types.js';

/** What the late-offer step needs of its Call. */
export interface LateOfferHost {
  readonly id: string;
  readonly a: Leg;
  readonly b: Leg;
  /** The call's media goes through a relay (else SDP passes unchanged). */
  readonly relayed: boolean;
  /** The call's media session, opened on first use (only called when relayed). */
  session(): MediaSession;
  mediaOptions(trunk: string): LegMediaOptions;
  /** The call is being torn down: stop quietly. */
  closing(): boolean;
  /** B is committed (its hangup now ends the call, no failover). */
  committed(): void;
  /** The offer/answer completed: the call is answered. */
  answered(): void;
  /** Ends both sides with this cause; `detail` goes into the record. */
  fail(cause: number, detail: string): Promise<void>;
  /** The Q.850 cause an error stands for. */
  errorCause(e: unknown): number;
  log: CallLogger;
}

/** B answered a late offer with `m` (its offer, if any). */
export async function lateAnswer(h: LateOfferHost, m: MediaDescription | undefined): Promise<void> {
  const { a, b } = h;
  if (m?.sdp === undefined) return h.fail(Cause.INTERWORKING, 'late offer: the called side answered without an SDP offer');
  if (!a.answerWithOffer) return h.fail(Cause.INTERWORKING, `late offer: a ${a.kind} leg cannot answer with an offer`);
  h.committed();
  let session: MediaSession | undefined;
  let toA = m.sdp;
  if (h.relayed) {
    try {
      session = h.session();
      toA = await session.offer({
        sdp: m.sdp, from: 'b', fromLeg: h.mediaOptions(b.trunk), toLeg: h.mediaOptions(a.trunk),
      });
    } catch (e) {
      return h.fail(h.errorCause(e), `late offer: media relay refused the called side's offer: ${(e as Error).message}`);
    }
  }
  h.log.info({ call: h.id }, 'answered (late offer): offering to the caller');
  let fromA: MediaDescription;
  try {
    fromA = await a.answerWithOffer({ sdp: toA });
  } catch (e) {
    return h.fail(h.errorCause(e), (e as Error).message);
  }
  if (h.closing() || a.state === 'ended' || b.state === 'ended') return;
  let toB = fromA.sdp!;
  if (session) {
    try {
      toB = await session.answer({ sdp: toB, from: 'a' });
    } catch (e) {
      return h.fail(Cause.INCOMPATIBLE_DESTINATION, `late offer: media relay refused the caller's answer in the ACK: ${(e as Error).message}`);
    }
  }
  if (b.confirmAnswer) {
    try {
      await b.confirmAnswer({ sdp: toB });
    } catch (e) {
      return h.fail(h.errorCause(e), `late offer: the called side's ACK could not be sent: ${(e as Error).message}`);
    }
  }
  h.answered();
  h.log.info({ call: h.id }, 'answered');
}
