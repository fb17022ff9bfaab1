// The live calls and their running totals: what `spangate show calls` lists and what metrics
// count (attempts, answers, failures by trunk and cause, ASR). Pure bookkeeping.

import type { Call, CallRecord, CallState } from './call.js';
import type { Leg } from './leg.js';

export interface CallSummary {
  id: string;
  state: CallState;
  /** ms since the call started. */
  ageMs: number;
  aTrunk: string;
  calling: string;
  called: string;
  bTrunk?: string;
  /** The media relay anchoring the call, when one does ('rtpengine', 'native'). */
  relay?: string;
}

export interface TrunkTotals {
  attempts: number;
  answered: number;
  failed: number;
  byCause: Record<number, number>;
}

export class CallRegistry {
  readonly #calls = new Map<string, Call>();
  readonly #totals = new Map<string, TrunkTotals>();
  readonly #now: () => number;
  readonly #started = new Map<string, number>();
  readonly #listeners: ((r: CallRecord) => void)[] = [];

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Tracks a call until it ends; its record then goes to every onEnded listener. */
  add(call: Call): void {
    this.#calls.set(call.id, call);
    this.#started.set(call.id, this.#now());
    call.on('ended', (r) => {
      this.#calls.delete(call.id);
      this.#started.delete(call.id);
      this.#count(r);
      for (const l of this.#listeners) l(r);
    });
  }

  onEnded(listener: (r: CallRecord) => void): void {
    this.#listeners.push(listener);
  }

  get size(): number {
    return this.#calls.size;
  }

  get(id: string): Call | undefined {
    return this.#calls.get(id);
  }

  /** The live call one of whose legs is `leg` (attended transfer: the call holding a replaced dialog). */
  findByLeg(leg: Leg): Call | undefined {
    for (const c of this.#calls.values()) if (c.a === leg || c.b === leg) return c;
    return undefined;
  }

  list(): CallSummary[] {
    const now = this.#now();
    return [...this.#calls.values()].map((c) => {
      const s: CallSummary = {
        id: c.id, state: c.state, ageMs: now - (this.#started.get(c.id) ?? now),
        aTrunk: c.a.trunk, calling: c.a.calling, called: c.a.called,
      };
      if (c.b) s.bTrunk = c.b.trunk;
      if (c.relayName) s.relay = c.relayName;
      return s;
    });
  }

  /** Per trunk: every outbound attempt and the inbound call itself count once. */
  totals(): Record<string, TrunkTotals> {
    return Object.fromEntries([...this.#totals].map(([k, v]) => [k, { ...v, byCause: { ...v.byCause } }]));
  }

  /** Answer-seizure ratio of a trunk in percent (0 with no attempts). */
  asr(trunk: string): number {
    const t = this.#totals.get(trunk);
    return t && t.attempts > 0 ? (100 * t.answered) / t.attempts : 0;
  }

  /** Ends every live call (shutdown) and waits for their records. */
  async closeAll(cause: number): Promise<CallRecord[]> {
    return Promise.all([...this.#calls.values()].map((c) => c.close(cause)));
  }

  #bump(trunk: string, answered: boolean, cause: number): void {
    const t = this.#totals.get(trunk) ?? { attempts: 0, answered: 0, failed: 0, byCause: {} };
    t.attempts++;
    if (answered) t.answered++;
    else t.failed++;
    t.byCause[cause] = (t.byCause[cause] ?? 0) + 1;
    this.#totals.set(trunk, t);
  }

  #count(r: CallRecord): void {
    const answered = r.answeredAt !== undefined;
    this.#bump(r.a.trunk, answered, r.cause);
    for (const at of r.attempts) this.#bump(at.trunk, false, at.cause);
    // The final outbound leg, unless it already counted as a failed attempt.
    if (r.b && !r.bInAttempts) this.#bump(r.b.trunk, answered, r.cause);
  }
}
