// The router contract the call core uses, and the pure failover stepper. src/routing builds
// decisions from config (sites, ranges, explicit routes); the call only walks them.

import { Cause } from './causes.js';

export interface RouteRequest {
  /** Trunk the call came in on (SIP trunk id or TDM span group id). */
  fromTrunk: string;
  called: string;
  calling: string;
  /** Route-loop detection: trunks this call already passed through (e.g. from a SIP header). */
  via?: string[];
}

export interface RouteTarget {
  /** Outbound trunk id. */
  trunk: string;
  /** Numbers to signal on the outbound leg, after translation. */
  called: string;
  calling: string;
  /** Why this target was chosen, one line ("route 'to-teams' matched called 4930555...*"). */
  reason: string;
}

export interface RouteDecision {
  /** Ordered targets; empty when the call is refused (see cause). */
  targets: RouteTarget[];
  /** Q.850 causes on which the call moves on to the next target. */
  failoverCauses: number[];
  /** Q.850 cause to refuse the call with when there is no target. */
  cause?: number;
  /** Human-readable, one line per step of the decision (for `spangate route test`). */
  explanation: string[];
  /** Call when the call this decision routed has ended (frees its loop-guard arrival). */
  release?: () => void;
}

export interface Router {
  decide(req: RouteRequest): RouteDecision;
}

/** Causes that mean "this path failed, another may work" (RFC 3398's 5xx group and timeouts). */
export const DEFAULT_FAILOVER_CAUSES: readonly number[] = [
  Cause.NO_ROUTE_DESTINATION,
  Cause.DESTINATION_OUT_OF_ORDER,
  Cause.NO_CIRCUIT_AVAILABLE,
  Cause.NETWORK_OUT_OF_ORDER,
  Cause.TEMPORARY_FAILURE,
  Cause.SWITCH_CONGESTION,
  Cause.RESOURCE_UNAVAILABLE,
  Cause.RECOVERY_ON_TIMER_EXPIRY,
];

export interface Attempt {
  target: RouteTarget;
  cause: number;
  detail?: string;
}

/**
 * The next target to try after the attempts so far, or undefined when the call should fail
 * with the last attempt's cause: either the targets ran out, or the last cause is not one
 * to fail over on (a busy callee is busy on every path).
 */
export function nextTarget(decision: RouteDecision, attempts: readonly Attempt[]): RouteTarget | undefined {
  if (attempts.length === 0) return decision.targets[0];
  const last = attempts[attempts.length - 1] as Attempt;
  if (!decision.failoverCauses.includes(last.cause)) return undefined;
  return decision.targets[attempts.length];
}

/** The cause to report when every attempt failed (the last one's), or the decision's refusal cause. */
export function finalCause(decision: RouteDecision, attempts: readonly Attempt[]): number {
  if (attempts.length > 0) return (attempts[attempts.length - 1] as Attempt).cause;
  return decision.cause ?? Cause.NO_ROUTE_DESTINATION;
}
