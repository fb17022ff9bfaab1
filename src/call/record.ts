// The record a finished call leaves for CDRs and metrics: both legs as they ended, times,
// cause and disposition, failed attempts, media stats and transfers. Pure; src/call/call.ts
// hands in what it tracked.

import type { Leg } from './leg.js';
import type { SessionStats } from '../media/relay.js';
import type { Attempt, RouteDecision } from './router.js';
import type { TransferSummary } from './transfer.js';
import { Cause, causeText } from './causes.js';
import type { CallRecord, Disposition, LegSummary } from './call-types.js';

/** What the call tracked until it ended. */
export interface CallFacts {
  id: string;
  a: Leg;
  b: Leg | undefined;
  decision: RouteDecision;
  cause: number;
  /** Why spangate ended the call, when it did. */
  detail: string | undefined;
  endedBy: CallRecord['endedBy'];
  times: { start: number; progress?: number; answer?: number; end: number };
  attempts: readonly Attempt[];
  bFailed: boolean;
  transfers: readonly TransferSummary[];
  media: SessionStats | undefined;
}

export function legSummary(l: Leg): LegSummary {
  const s: LegSummary = { id: l.id, kind: l.kind, trunk: l.trunk, calling: l.calling, called: l.called };
  if (l.circuit && l.circuit.channel > 0) {
    s.span = l.circuit.span;
    s.channel = l.circuit.channel;
  }
  return s;
}

function disposition(f: CallFacts): Disposition {
  if (f.times.answer !== undefined) return 'answered';
  if (f.decision.targets.length === 0) return 'no-route';
  if (f.endedBy === 'a') return 'cancelled';
  switch (f.cause) {
    case Cause.USER_BUSY: return 'busy';
    case Cause.NO_USER_RESPONSE:
    case Cause.NO_ANSWER: return 'no-answer';
    case Cause.CALL_REJECTED: return 'rejected';
    default: return 'failed';
  }
}

export function callRecord(f: CallFacts): CallRecord {
  const r: CallRecord = {
    id: f.id,
    disposition: disposition(f),
    cause: f.cause,
    causeText: f.detail === undefined ? causeText(f.cause) : `${causeText(f.cause)}: ${f.detail}`,
    endedBy: f.endedBy,
    startedAt: f.times.start,
    endedAt: f.times.end,
    a: legSummary(f.a),
    attempts: f.attempts.map((x) => {
      const o: CallRecord['attempts'][number] = { trunk: x.target.trunk, called: x.target.called, cause: x.cause };
      if (x.detail !== undefined) o.detail = x.detail;
      return o;
    }),
    bInAttempts: f.bFailed,
    route: f.decision.explanation,
  };
  if (f.times.progress !== undefined) r.progressAt = f.times.progress;
  if (f.times.answer !== undefined) r.answeredAt = f.times.answer;
  if (f.b) r.b = legSummary(f.b);
  if (f.media) r.media = f.media;
  if (f.transfers.length > 0) r.transfers = f.transfers.map((x) => ({ ...x }));
  return r;
}
