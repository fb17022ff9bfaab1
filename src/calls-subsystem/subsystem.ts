// The calls subsystem: puts the pure call registry (src/call/registry.ts) in the daemon. It
// exports active calls, attempts/answers/failures by trunk and cause and ASR as metrics,
// answers `show.calls` and `show.trunks` on the admin API, and on drain stops admitting new
// calls and waits for the active ones to end (activeWork()).

import type { AdminRegistry } from '../admin/index.js';
import { Cause } from '../call/causes.js';
import type { CallRecord } from '../call/call.js';
import type { CallRegistry, CallSummary } from '../call/registry.js';
import type { SpangateConfig } from '../config/index.js';
import type { Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import type { Logger } from '../log/index.js';
import type { CounterHandle, Metrics } from '../metrics/index.js';
import { resolveTrunk, type TrunkInput } from '../sip/trunk-profiles.js';

/** What is known of a trunk's reachability; the SIP legs (OPTIONS) and TDM spans report it. */
export interface TrunkHealth {
  state: 'up' | 'down' | 'unknown';
  detail?: string;
  /** Last OPTIONS round trip, ms. */
  rttMs?: number;
}

export interface TrunkView {
  id: string;
  kind: 'sip' | 'other';
  role: string | null;
  profile: string | null;
  transport: string | null;
  addresses: string[];
  port: number | null;
  maxCalls: number | null;
  maxCps: number | null;
  active: number;
  attempts: number;
  answered: number;
  failed: number;
  asr: number;
  health: TrunkHealth;
}

export const HEALTH_NOT_YET: TrunkHealth = { state: 'unknown', detail: 'no OPTIONS keepalive yet (arrives with the SIP legs)' };

export interface CallsSubsystemOptions {
  config: SpangateConfig;
  log: Logger;
  metrics: Metrics;
  admin: AdminRegistry;
  registry: CallRegistry;
  /** Trunk health from the legs; undefined (or undefined for a trunk): not known yet. */
  trunkHealth?: (trunk: string) => TrunkHealth | undefined;
}

export class CallsSubsystem implements Subsystem {
  readonly name = 'calls';
  #cfg: SpangateConfig;
  readonly #log: Logger;
  readonly #reg: CallRegistry;
  readonly #health: CallsSubsystemOptions['trunkHealth'];
  #accepting = true;
  #idle: (() => void)[] = [];
  readonly #attempts: CounterHandle;
  readonly #answered: CounterHandle;
  readonly #failed: CounterHandle;

  constructor(o: CallsSubsystemOptions) {
    this.#cfg = o.config;
    this.#log = o.log;
    this.#reg = o.registry;
    this.#health = o.trunkHealth;
    const m = o.metrics;
    m.gauge('spangate_calls_active', 'Calls in progress.', [], (g) => g.set(this.#reg.size));
    this.#attempts = m.counter('spangate_calls_attempts_total', 'Call attempts by trunk (inbound calls and each outbound attempt).', ['trunk']);
    this.#answered = m.counter('spangate_calls_answered_total', 'Answered call attempts by trunk.', ['trunk']);
    this.#failed = m.counter('spangate_calls_failed_total', 'Unanswered call attempts by trunk and Q.850 cause.', ['trunk', 'cause']);
    m.gauge('spangate_calls_asr_ratio', 'Answer-seizure ratio by trunk (answered / attempts).', ['trunk'], (g) => {
      for (const trunk of Object.keys(this.#reg.totals())) g.set({ trunk }, this.#reg.asr(trunk) / 100);
    });
    this.#reg.onEnded((r) => this.#onEnded(r));
    o.admin.register('show.calls', 'Calls in progress: id, state, age, trunks and numbers.', () => this.calls());
    o.admin.register('show.trunks', 'Configured trunks: settings, active calls, totals, ASR and health.', () => this.trunks());
  }

  /** False once draining: the legs refuse new calls (cause 41 / SIP 503). */
  get accepting(): boolean {
    return this.#accepting;
  }

  async start(): Promise<void> {
    this.#accepting = true;
  }

  reload(config: SpangateConfig): void {
    this.#cfg = config;
  }

  async drain(deadline: number): Promise<void> {
    this.#accepting = false;
    if (this.#reg.size === 0) return;
    this.#log.info({ activeCalls: this.#reg.size }, 'waiting for active calls to end');
    await new Promise<void>((resolve) => {
      // Not unref'd: the wait is bounded by the deadline and must not end with the event loop.
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#idle.push(done);
    });
  }

  async stop(): Promise<void> {
    this.#accepting = false;
    if (this.#reg.size > 0) {
      this.#log.warn({ activeCalls: this.#reg.size }, 'cutting off calls still active at stop');
      await this.#reg.closeAll(Cause.NORMAL_UNSPECIFIED);
    }
  }

  health(): SubsystemHealth {
    return { status: 'ok', detail: this.#accepting ? 'accepting calls' : 'draining: not accepting new calls' };
  }

  activeWork(): number {
    return this.#reg.size;
  }

  calls(): CallSummary[] {
    return this.#reg.list();
  }

  /** Every trunk the config knows (SIP trunks and routing-only trunks such as TDM groups). */
  trunks(): TrunkView[] {
    const sip = this.#cfg.sip.trunks as unknown as Record<string, TrunkInput>;
    const routing = this.#cfg.routing.trunks;
    const ids = [...new Set([...Object.keys(sip), ...Object.keys(routing)])].sort();
    const totals = this.#reg.totals();
    const calls = this.#reg.list();
    return ids.map((id) => {
      const input = sip[id];
      const s = input ? resolveTrunk(id, input) : undefined;
      const t = totals[id];
      const known = this.#health?.(id);
      const health: TrunkHealth = known ?? (s ? HEALTH_NOT_YET : { state: 'unknown', detail: 'not a SIP trunk (TDM span group or routing only)' });
      return {
        id,
        kind: s ? 'sip' : 'other',
        role: routing[id]?.role ?? null,
        profile: s?.profile ?? null,
        transport: s?.transport ?? null,
        addresses: s ? [...s.addresses] : [],
        port: s?.port ?? null,
        maxCalls: s?.maxCalls ?? null,
        maxCps: s?.maxCps ?? null,
        active: calls.filter((c) => c.aTrunk === id || c.bTrunk === id).length,
        attempts: t?.attempts ?? 0,
        answered: t?.answered ?? 0,
        failed: t?.failed ?? 0,
        asr: this.#reg.asr(id),
        health,
      };
    });
  }

  /** Counts a finished call the way the registry's totals do: the inbound leg, each failed attempt, the final leg. */
  #onEnded(r: CallRecord): void {
    for (const { trunk, answered, cause } of attemptsOf(r)) {
      this.#attempts.inc({ trunk });
      if (answered) this.#answered.inc({ trunk });
      else this.#failed.inc({ trunk, cause: String(cause) });
    }
    if (this.#reg.size === 0) for (const done of this.#idle.splice(0)) done();
  }
}

/** The per-trunk outcomes of one call, as CallRegistry.totals() counts them. */
export function attemptsOf(r: CallRecord): { trunk: string; answered: boolean; cause: number }[] {
  const answered = r.answeredAt !== undefined;
  const out = [{ trunk: r.a.trunk, answered, cause: r.cause }];
  for (const at of r.attempts) out.push({ trunk: at.trunk, answered: false, cause: at.cause });
  if (r.b && !r.bInAttempts) out.push({ trunk: r.b.trunk, answered, cause: r.cause });
  return out;
}
