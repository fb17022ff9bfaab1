// RFC 3261 Table 4 timer values (and RFC 6026 L and M), derived from configurable T1/T2/T4.

export interface TimerConfig {
  /** RTT estimate, default 500 ms. */
  t1: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  t2: number;
  /** Longest time a message stays in the network, default 5 s. */
  t4: number;
  /** Transaction timeout (Timers B, F, H, J, L, M); default 64 × T1. */
  t1x64: number;
  /** Timer D for unreliable transports: wait for response retransmits; default 32 s (at least 64 × T1 is not required). */
  timerD: number;
  /** Timer C of a proxy's INVITE client transaction (RFC 3261 §16.6), default 180 s (> 3 min required). */
  timerC: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000, t1x64: 32000, timerD: 32000, timerC: 181000 };

/** Fills in defaults; t1x64 follows t1 unless given. */
export function timerConfig(p: Partial<TimerConfig> = {}): TimerConfig {
  const t1 = p.t1 ?? DEFAULT_TIMERS.t1;
  const c: TimerConfig = {
    t1,
    t2: p.t2 ?? DEFAULT_TIMERS.t2,
    t4: p.t4 ?? DEFAULT_TIMERS.t4,
    t1x64: p.t1x64 ?? 64 * t1,
    timerD: p.timerD ?? DEFAULT_TIMERS.timerD,
    timerC: p.timerC ?? DEFAULT_TIMERS.timerC,
  };
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`timer ${k} must be a positive number of ms`);
  }
  if (c.t2 < c.t1) throw new RangeError('T2 must not be below T1');
  return c;
}

/** Timer kinds (the `kind` passed to TimerTarget.onTimer). */
export const Timer = {
  A: 1, B: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8, J: 9, K: 10, L: 11, M: 12, Trying: 13, CancelWait: 14, C: 15,
} as const;
