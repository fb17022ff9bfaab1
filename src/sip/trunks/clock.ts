// Time for the trunk runtime, injectable so unit tests step it by hand. The real clock's
// timers are unref'd: a keepalive schedule never keeps the process alive on its own.

export interface TrunkClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** In [0, 1): jitter for the keepalive schedule. */
  random(): number;
}

export const realClock: TrunkClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  random: () => Math.random(),
};
