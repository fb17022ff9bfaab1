// A group of UA timers (a dialog's, a transaction's) on the edge's clock, cleared together.
// The clock is the transaction layer's, so tests drive UA and transaction timers with one
// ManualClock.

import type { Clock, TimerTarget } from '../transaction/index.js';

class Job implements TimerTarget {
  handle: unknown;
  constructor(
    private readonly owner: TimerSet,
    private readonly fn: () => void,
  ) {}

  onTimer(): void {
    this.owner.fired(this);
    this.fn();
  }
}

export class TimerSet {
  /** Created on first use: most transactions never arm a UA timer. */
  private live: Set<Job> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs `fn` after `ms` unless cleared; returns a handle for `cancel`. */
  after(ms: number, fn: () => void): unknown {
    const job = new Job(this, () => {
      try {
        fn();
      } catch (err) {
        this.onError(err);
      }
    });
    job.handle = this.clock.set(ms, job, 0);
    (this.live ??= new Set()).add(job);
    return job;
  }

  /** Stops one timer of this set. */
  cancel(handle: unknown): void {
    const job = handle as Job;
    if (this.live?.delete(job)) this.clock.clear(job.handle);
  }

  /** Stops every timer of this set. */
  clear(): void {
    if (this.live === undefined) return;
    for (const j of this.live) this.clock.clear(j.handle);
    this.live = undefined;
  }

  get size(): number {
    return this.live?.size ?? 0;
  }

  /** @internal */
  fired(job: Job): void {
    this.live?.delete(job);
  }
}
