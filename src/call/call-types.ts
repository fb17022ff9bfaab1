// The Call's public types: options, logger/timer slices, the record a finished call leaves
// for CDRs and metrics. Split from call.ts to keep it small; call.ts re-exports them.

import type { Leg } from './leg.js';
import type { MediaRelay, LegMediaOptions, SessionStats } from '../media/relay.js';
import type { RouteDecision, RouteRequest, RouteTarget } from './router.js';
import type { TransferSummary } from './transfer.js';
import type { LendingCall } from './attended-transfer.js';

export type CallState = 'routing' | 'proceeding' | 'early' | 'answered' | 'ended';
export type Disposition = 'answered' | 'busy' | 'no-answer' | 'rejected' | 'cancelled' | 'no-route' | 'failed';


/** The slice of a pino logger the call uses; src/log provides the real one. */
export interface CallLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CallMedia {
  relay: MediaRelay;
  /** Media options for a leg on this trunk (from the trunk's settings). */
  optionsFor(trunk: string): LegMediaOptions;
}

export interface CallOptions {
  id: string;
  a: Leg;
  decision: RouteDecision;
  /** Builds the outbound leg for a target (the SIP agent or the TDM span group). */
  createLeg(target: RouteTarget): Leg;
  /** Routes a blind-transfer target (REFER handled locally); omitted: transfers are declined. */
  transferRoute?: (req: RouteRequest) => RouteDecision;
  /** The live call holding a leg (attended transfer to a dialog of ours); omitted: such transfers get 481. */
  findCall?: (leg: Leg) => LendingCall | undefined;
  /** Media anchoring; omitted when legs exchange media directly (TDM⇄TDM, media bypass). */
  media?: CallMedia;
  /** No answer within this many ms after the outbound leg was placed: cause 19. 0 = none. */
  ringTimeoutMs?: number;
  now?: () => number;
  timers?: Timers;
  log?: CallLogger;
}

export interface LegSummary {
  id: string;
  kind: string;
  trunk: string;
  calling: string;
  called: string;
  /** TDM legs: the span (config id) and B-channel the call ran on. */
  span?: string;
  channel?: number;
}

/** Everything about a finished call, for CDRs and metrics. */
export interface CallRecord {
  id: string;
  disposition: Disposition;
  cause: number;
  causeText: string;
  /** Who ended it: the caller, the callee, or spangate (timeouts, shutdown, media failure). */
  endedBy: 'a' | 'b' | 'local';
  startedAt: number;
  progressAt?: number;
  answeredAt?: number;
  endedAt: number;
  a: LegSummary;
  b?: LegSummary;
  /** Outbound attempts that failed, in order (the last one may be `b`: see bInAttempts). */
  attempts: { trunk: string; called: string; cause: number; detail?: string }[];
  /** true when the final outbound leg `b` failed and is the last entry of `attempts`. */
  bInAttempts: boolean;
  media?: SessionStats;
  route: string[];
  /** Transfers asked for during the call (blind, attended, or this call replaced), in order (a and b are the legs at the end). */
  transfers?: TransferSummary[];
}

export interface CallEvents {
  state: [state: CallState];
  ended: [record: CallRecord];
}
