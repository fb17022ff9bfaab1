// The SIP dialogs the gateway's legs hold, by Call-ID, so that a Replaces header (attended
// transfer, RFC 3891) can be matched against them: the dialog found, or why the transfer must
// fail (481 no such dialog, 486 early-only on a confirmed dialog, 603 dialog already ended).
// Ended dialogs are remembered for a while (TOMBSTONE_MS) so a late REFER naming one gets 603
// rather than being sent on as if it were someone else's. Pure bookkeeping, clock injected.

import type { Leg } from '../call/leg.js';
import type { ReplacesId } from './replaces.js';

/** How long an ended dialog is still recognised as ours. */
export const TOMBSTONE_MS = 64_000;

interface Entry {
  leg: Leg;
  /** Our tag and the far end's, once known (an early inbound leg knows only the far end's). */
  localTag?: string;
  remoteTag?: string;
  confirmed: boolean;
  /** We sent the INVITE (UAC) rather than received it. */
  uac: boolean;
  endedAt?: number;
}

export type ReplacesMatch =
  /** A confirmed dialog of ours: this leg carries it. */
  | { kind: 'found'; leg: Leg }
  /** No dialog of ours has this Call-ID: someone else holds it. */
  | { kind: 'unknown' }
  /** Ours, but the transfer cannot replace it: the status for the NOTIFY and why. */
  | { kind: 'refused'; status: number; reason: string };

export class SipDialogIndex {
  readonly #byCallId = new Map<string, Entry[]>();
  readonly #byLeg = new Map<Leg, { callId: string; entry: Entry }>();
  /** Ended entries, oldest first, until their tombstone expires. */
  readonly #ended: { callId: string; entry: Entry }[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A leg's dialog (or INVITE transaction, while early) under this Call-ID. */
  add(leg: Leg, callId: string, o: { uac: boolean; localTag?: string; remoteTag?: string; confirmed?: boolean }): void {
    this.#purge();
    if (this.#byLeg.has(leg)) this.remove(leg);
    const entry: Entry = { leg, uac: o.uac, confirmed: o.confirmed ?? false };
    if (o.localTag !== undefined) entry.localTag = o.localTag;
    if (o.remoteTag !== undefined) entry.remoteTag = o.remoteTag;
    const list = this.#byCallId.get(callId) ?? [];
    list.push(entry);
    this.#byCallId.set(callId, list);
    this.#byLeg.set(leg, { callId, entry });
  }

  /** The leg's dialog is confirmed (2xx/ACK), with both tags. */
  confirm(leg: Leg, callId: string, localTag: string, remoteTag: string): void {
    const known = this.#byLeg.get(leg);
    if (!known || known.callId !== callId) {
      this.add(leg, callId, { uac: known?.entry.uac ?? leg.direction === 'outbound', localTag, remoteTag, confirmed: true });
      return;
    }
    known.entry.localTag = localTag;
    known.entry.remoteTag = remoteTag;
    known.entry.confirmed = true;
  }

  /** The leg ended: its dialog is remembered as ended for TOMBSTONE_MS. */
  remove(leg: Leg): void {
    const known = this.#byLeg.get(leg);
    if (!known) return;
    this.#byLeg.delete(leg);
    known.entry.endedAt = this.#now();
    this.#ended.push(known);
  }

  get size(): number {
    return this.#byLeg.size;
  }

  /** What a Replaces header names, by RFC 3891 §3 (to-tag against our tag, from-tag against theirs). */
  match(r: ReplacesId): ReplacesMatch {
    this.#purge();
    const list = this.#byCallId.get(r.callId);
    if (!list || list.length === 0) return { kind: 'unknown' };
    const live = list.filter((e) => e.endedAt === undefined);
    const confirmed = live.filter((e) => e.confirmed && e.localTag === r.toTag && e.remoteTag === r.fromTag);
    if (confirmed.length === 1) {
      if (r.earlyOnly) return { kind: 'refused', status: 486, reason: 'Busy Here' };
      return { kind: 'found', leg: confirmed[0]!.leg };
    }
    if (confirmed.length > 1) return { kind: 'refused', status: 481, reason: 'Call Does Not Exist' };
    // An early dialog: the far end's tag matches while ours is not yet known or matches.
    const early = live.filter((e) => !e.confirmed && (e.uac ? e.localTag === r.toTag : e.remoteTag === r.fromTag));
    if (early.length > 0) {
      // RFC 3891 §3: an early dialog we did not initiate cannot be replaced (481). One we
      // initiated could be (CANCEL it and connect the new party); not done here.
      // TODO(next): replacing an early dialog the gateway initiated (call pickup).
      return early[0]!.uac
        ? { kind: 'refused', status: 603, reason: 'Declined' }
        : { kind: 'refused', status: 481, reason: 'Call Does Not Exist' };
    }
    const ended = list.some((e) => e.endedAt !== undefined && (e.localTag === undefined || e.localTag === r.toTag));
    if (ended && live.length === 0) return { kind: 'refused', status: 603, reason: 'Declined' };
    return { kind: 'refused', status: 481, reason: 'Call Does Not Exist' };
  }

  #purge(): void {
    const limit = this.#now() - TOMBSTONE_MS;
    let n = 0;
    while (n < this.#ended.length && this.#ended[n]!.entry.endedAt! <= limit) {
      const { callId, entry } = this.#ended[n]!;
      const keep = (this.#byCallId.get(callId) ?? []).filter((e) => e !== entry);
      if (keep.length === 0) this.#byCallId.delete(callId);
      else this.#byCallId.set(callId, keep);
      n++;
    }
    if (n > 0) this.#ended.splice(0, n);
  }
}
