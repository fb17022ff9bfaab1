// Cross-system loop guard: a call that keeps re-entering the gateway with the same calling and
// called numbers (PBX → UC → PBX → …) is refused with cause 25 instead of ping-ponging until
// every channel is busy. A loop's arrivals are all up at once (each hop holds the one before),
// so an arrival counts only while its call lasts (released when it ends), and at most for the
// window (so a release that never comes cannot hold an entry for ever). A caller who redials a
// busy number, one attempt after the other, is never mistaken for a loop.

export interface LoopGuardOptions {
  /** The longest an arrival is remembered while its call lasts, in ms (default 60 s). */
  windowMs?: number;
  /** Concurrent arrivals of one calling/called pair allowed (default 3). */
  maxArrivals?: number;
  now?: () => number;
}

/** What check() says: a loop (refuse; nothing recorded), or a release for when the call ends. */
export type LoopVerdict = { loop: string } | { loop?: undefined; release: () => void };

interface Arrival {
  at: number;
  trunk: string;
}

const NOTHING = (): void => undefined;

export class LoopGuard {
  readonly #window: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #seen = new Map<string, Arrival[]>();
  #nextPrune = 0;

  constructor(opts: LoopGuardOptions = {}) {
    this.#window = opts.windowMs ?? 60_000;
    this.#max = opts.maxArrivals ?? 3;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Notes an arrival. Calls with no calling number are not tracked (too many unrelated calls
   * would share the key).
   */
  check(fromTrunk: string, calling: string, called: string): LoopVerdict {
    if (calling === '') return { release: NOTHING };
    const now = this.#now();
    this.#prune(now);
    const key = `${calling}\u0000${called}`;
    const live = (this.#seen.get(key) ?? []).filter((a) => a.at > now - this.#window);
    if (live.length >= this.#max) {
      const via = [...live.map((a) => a.trunk), fromTrunk].join(', ');
      return { loop: `${calling} → ${called}: ${live.length + 1} calls at once within ${this.#window / 1000} s (via ${via})` };
    }
    const arrival: Arrival = { at: now, trunk: fromTrunk };
    live.push(arrival);
    this.#seen.set(key, live);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const list = this.#seen.get(key);
        const i = list?.indexOf(arrival) ?? -1;
        if (i < 0) return;
        list!.splice(i, 1);
        if (list!.length === 0) this.#seen.delete(key);
      },
    };
  }

  /** Pairs with an arrival remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /** Drops arrivals older than the window; a full sweep at most once per window. */
  #prune(now: number): void {
    if (now < this.#nextPrune) return;
    this.#nextPrune = now + this.#window;
    for (const [k, list] of this.#seen) {
      const keep = list.filter((a) => a.at > now - this.#window);
      if (keep.length === 0) this.#seen.delete(k);
      else if (keep.length !== list.length) this.#seen.set(k, keep);
    }
  }
}
