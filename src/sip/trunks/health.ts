// Health of one next hop, with hysteresis: `downAfter` consecutive failures take it down,
// `upAfter` consecutive successes bring it back. A hop nothing is known about yet is
// `unknown` and counts as usable; its first success makes it up at once. OPTIONS answers and
// the call flows' reports feed the same counters.

import type { TrunkHealth } from '../../calls-subsystem/subsystem.js';
import type { OptionsPing } from '../trunk-profiles.js';

export type TargetState = 'unknown' | 'up' | 'down';

export class TargetHealth {
  state: TargetState = 'unknown';
  okStreak = 0;
  failStreak = 0;
  /** Last OPTIONS round trip, ms. */
  rttMs: number | undefined;
  /** Why it is in its state (last failure, or the answer that brought it up). */
  detail = 'not probed yet';
  /** Clock time of the last state change or outcome. */
  lastChange = 0;
  lastOutcome = 0;

  /** Records one outcome; returns true when the state changed. */
  record(ok: boolean, p: Pick<OptionsPing, 'downAfter' | 'upAfter'>, detail: string, now: number): boolean {
    const before = this.state;
    this.lastOutcome = now;
    if (ok) {
      this.failStreak = 0;
      this.okStreak++;
      if (this.state === 'unknown' || (this.state === 'down' && this.okStreak >= p.upAfter)) this.state = 'up';
      if (this.state === 'up') this.detail = detail;
    } else {
      this.okStreak = 0;
      this.failStreak++;
      if (this.state !== 'down' && this.failStreak >= p.downAfter) this.state = 'down';
      this.detail = detail;
    }
    if (this.state !== before) this.lastChange = now;
    return this.state !== before;
  }

  /** Forget what is known (OPTIONS disabled and nothing reported for a while). */
  reset(now: number): boolean {
    const changed = this.state !== 'unknown';
    this.state = 'unknown';
    this.okStreak = 0;
    this.failStreak = 0;
    this.detail = 'hold-down over: to be tried again';
    this.lastChange = now;
    return changed;
  }
}

/** A trunk's health from its hops: up if any is up, down when all are down, else unknown. */
export function summarize(targets: { label: string; health: TargetHealth }[], note?: string): TrunkHealth {
  if (targets.length === 0) return { state: 'unknown', detail: note ?? 'no resolved addresses' };
  const up = targets.filter((t) => t.health.state === 'up');
  const down = targets.filter((t) => t.health.state === 'down');
  const state: TrunkHealth['state'] = up.length > 0 ? 'up' : down.length === targets.length ? 'down' : 'unknown';
  const parts = [`${up.length}/${targets.length} targets up`];
  for (const t of down) parts.push(`${t.label} down: ${t.health.detail}`);
  if (note) parts.push(note);
  const h: TrunkHealth = { state, detail: parts.join('; ') };
  // the round trip of the first hop that answers (the one calls go to first)
  const rtt = up.find((t) => t.health.rttMs !== undefined)?.health.rttMs;
  if (rtt !== undefined) h.rttMs = rtt;
  return h;
}
