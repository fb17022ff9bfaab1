// What an answered call passes between its legs: a far end's new offer (hold, resume, codec
// change) through the relay to the other leg and its answer back, DTMF (injected by the relay
// when a digit signalled out of band meets an RFC 4733 leg), and REFERs a trunk passes on.
// The Call decides whether to pass them (state, lent parties); these do the passing. Pure.

import type { DtmfEvent, Leg, MediaUpdate, PassedRefer } from './leg.js';
import type { LegMediaOptions, MediaSession } from '../media/relay.js';
import { SignalingError } from '../errors.js';
import type { CallLogger } from './call-types.js';
import type { Side } from './transfer.js';

export interface MidCallHost {
  readonly id: string;
  session(): MediaSession | undefined;
  mediaOptions(trunk: string): LegMediaOptions;
  errorCause(e: unknown): number;
  log: CallLogger;
}

/** Offers `u` (from side `from`, on fromTrunk) to `other` (on toTrunk) and answers `u` with its answer. */
export async function relayUpdate(h: MidCallHost, from: Side, fromTrunk: string, toTrunk: string, other: Leg, u: MediaUpdate): Promise<void> {
  const session = h.session();
  try {
    let offer = u.media;
    if (session && u.media.sdp !== undefined) {
      offer = { sdp: await session.offer({ sdp: u.media.sdp, from, fromLeg: h.mediaOptions(fromTrunk), toLeg: h.mediaOptions(toTrunk) }) };
    }
    const answer = await other.updateMedia(offer);
    if (session && answer.sdp !== undefined) {
      u.accept({ sdp: await session.answer({ sdp: answer.sdp, from: from === 'a' ? 'b' : 'a' }) });
    } else {
      u.accept(answer);
    }
  } catch (e) {
    h.log.warn({ call: h.id, from, err: (e as Error).message }, 'mid-call media update failed');
    u.reject(h.errorCause(e));
  }
}

/** One digit from side `from` to leg `to`. */
export function forwardDtmf(h: MidCallHost, from: Side, to: Leg, ev: DtmfEvent): void {
  // A digit signalled out of band (INFO) toward a leg that takes RFC 4733: the relay injects
  // it into the media the sender's side plays toward `to`.
  const session = h.session();
  if (ev.source === 'info' && session?.playDtmf && !session.closed && (h.mediaOptions(to.trunk).dtmf ?? 'rfc4733') === 'rfc4733') {
    session.playDtmf(from, ev.digit, ev.durationMs).catch((e: unknown) => {
      h.log.warn({ call: h.id, digit: ev.digit, err: (e as Error).message }, 'DTMF injection failed');
    });
    return;
  }
  to.sendDtmf(ev.digit, ev.durationMs).catch((e: unknown) => {
    h.log.warn({ call: h.id, digit: ev.digit, err: (e as Error).message }, 'DTMF forward failed');
  });
}

/** A REFER under trunk policy `pass`: sent on by `to`, its outcome and NOTIFYs relayed back. */
export async function passRefer(h: MidCallHost, to: Leg & Required<Pick<Leg, 'refer'>>, r: PassedRefer): Promise<void> {
  try {
    const res = await to.refer({ referTo: r.referTo, ...(r.referredBy ? { referredBy: r.referredBy } : {}) }, (frag, state) => r.notify(frag, state));
    h.log.info({ call: h.id, status: res.status }, 'REFER passed on');
    r.respond(res.status, res.reason);
  } catch (e) {
    h.log.warn({ call: h.id, err: (e as Error).message }, 'REFER could not be passed on');
    r.respond(e instanceof SignalingError && e.sipStatus !== undefined ? e.sipStatus : 503, 'REFER not passed on');
  }
}
