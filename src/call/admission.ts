// Call admission per trunk: concurrent calls and calls per second (token bucket). Excess is
// refused with cause 34 (no circuit available → SIP 503) before any leg or media is set up.
// Pure: the clock is injected.

import { Cause } from './causes.js';

export interface TrunkLimits {
  /** Concurrent calls (both directions); 0 = unlimited. */
  maxCalls: number;
  /** New calls per second (both directions); 0 = unlimited. Bursts up to one second's worth. */
  maxCps: number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; cause: number; reason: string };

interface TrunkState {
  active: number;
  tokens: number;
  at: number;
  refused: number;
}

export class AdmissionControl {
  readonly #limits: (trunk: string) => TrunkLimits | undefined;
  readonly #now: () => number;
  readonly #state = new Map<string, TrunkState>();

  constructor(limits: (trunk: string) => TrunkLimits | undefined, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Takes a slot on the trunk, or says why not. Call `release()` exactly once when the call ends. */
  admit(trunk: string): Admission {
    const lim = this.#limits(trunk) ?? { maxCalls: 0, maxCps: 0 };
    const st = this.#stateOf(trunk, lim);
    if (lim.maxCalls > 0 && st.active >= lim.maxCalls) {
      st.refused++;
      return { ok: false, cause: Cause.NO_CIRCUIT_AVAILABLE, reason: `trunk ${trunk} at its limit of ${lim.maxCalls} calls` };
    }
    if (lim.maxCps > 0) {
      const now = this.#now();
      st.tokens = Math.min(lim.maxCps, st.tokens + ((now - st.at) / 1000) * lim.maxCps);
      st.at = now;
      if (st.tokens < 1) {
        st.refused++;
        return { ok: false, cause: Cause.NO_CIRCUIT_AVAILABLE, reason: `trunk ${trunk} above ${lim.maxCps} calls/s` };
      }
      st.tokens -= 1;
    }
    st.active++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        st.active--;
      },
    };
  }

  /** Active calls and refusals so far, for `spangate show trunks` and metrics. */
  usage(trunk: string): { active: number; refused: number } {
    const st = this.#state.get(trunk);
    return { active: st?.active ?? 0, refused: st?.refused ?? 0 };
  }

  #stateOf(trunk: string, lim: TrunkLimits): TrunkState {
    let st = this.#state.get(trunk);
    if (!st) {
      st = { active: 0, tokens: lim.maxCps, at: this.#now(), refused: 0 };
      this.#state.set(trunk, st);
    }
    return st;
  }
}
