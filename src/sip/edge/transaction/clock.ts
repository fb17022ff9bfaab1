// Time for the transaction layer, injectable so timer tests run in microseconds. Timers call
// back into one object with a small integer kind, so starting one allocates no closure.

/** Receives timer expiries. */
export interface TimerTarget {
  onTimer(kind: number): void;
}

/** A clock the transaction layer uses for every timer. */
export interface Clock {
  now(): number;
  /** Calls `target.onTimer(kind)` after `ms`; returns a handle for `clear`. */
  set(ms: number, target: TimerTarget, kind: number): unknown;
  clear(handle: unknown): void;
}

function fire(target: TimerTarget, kind: number): void {
  target.onTimer(kind);
}

/** The real clock (Date.now and setTimeout). */
export const systemClock: Clock = {
  now: () => Date.now(),
  set: (ms, target, kind) => setTimeout(fire, ms, target, kind),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface ManualTimer {
  due: number;
  seq: number;
  target: TimerTarget;
  kind: number;
  live: boolean;
}

/** A clock driven by hand, for tests: `advance(ms)` fires due timers in time order. */
export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: ManualTimer[] = [];

  now(): number {
    return this.t;
  }

  set(ms: number, target: TimerTarget, kind: number): unknown {
    const timer: ManualTimer = { due: this.t + Math.max(0, ms), seq: this.seq++, target, kind, live: true };
    this.timers.push(timer);
    return timer;
  }

  clear(handle: unknown): void {
    if (handle) (handle as ManualTimer).live = false;
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.filter((x) => x.live).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const x of this.timers) {
        if (x.live && x.due <= end && (next === undefined || x.due < next.due || (x.due === next.due && x.seq < next.seq))) next = x;
      }
      if (next === undefined) break;
      next.live = false;
      this.t = next.due;
      next.target.onTimer(next.kind);
    }
    this.timers = this.timers.filter((x) => x.live);
    this.t = end;
  }
}
