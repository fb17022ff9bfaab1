// Cross-system loop guard: a call that keeps re-entering the gateway with the same calling and
// called numbers (PBX → UC → PBX → …) within a short window is refused with cause 25 instead
// of ping-ponging until every channel is busy. State is a small map pruned as it goes.

export interface LoopGuardOptions {
  /** How long an arrival is remembered, in ms (default 10 s). */
  windowMs?: number;
  /** Arrivals of one calling/called pair allowed within the window (default 3). */
  maxArrivals?: number;
  now?: () => number;
}

export class LoopGuard {
  readonly #window: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #seen = new Map<string, { at: number[]; trunks: string[] }>();

  constructor(opts: LoopGuardOptions = {}) {
    this.#window = opts.windowMs ?? 10_000;
    this.#max = opts.maxArrivals ?? 3;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Notes an arrival and returns why it looks like a loop, or undefined. Calls with no
   * calling number are not tracked (too many unrelated calls would share the key).
   */
  check(fromTrunk: string, calling: string, called: string): string | undefined {
    if (calling === '') return undefined;
    const now = this.#now();
    this.#prune(now);
    const key = `${calling}\u0000${called}`;
    const e = this.#seen.get(key) ?? { at: [], trunks: [] };
    e.at.push(now);
    e.trunks.push(fromTrunk);
    this.#seen.set(key, e);
    if (e.at.length > this.#max) {
      return `${calling} → ${called} arrived ${e.at.length} times in ${this.#window / 1000} s (via ${e.trunks.join(', ')})`;
    }
    return undefined;
  }

  get size(): number {
    return this.#seen.size;
  }

  #prune(now: number): void {
    for (const [k, e] of this.#seen) {
      while (e.at.length > 0 && (e.at[0] as number) <= now - this.#window) {
        e.at.shift();
        e.trunks.shift();
      }
      if (e.at.length === 0) this.#seen.delete(k);
    }
  }
}
