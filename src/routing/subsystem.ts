// The routing subsystem: compiles the routing section at start and on every reload. The new
// tables replace the old ones in one assignment, only after they compiled; a bad reload throws
// (the daemon then keeps its running config) and calls keep routing on the old tables.
// Admin method `route.test` runs a decision without side effects (no loop-guard entry).

import type { AdminRegistry } from '../admin/index.js';
import type { SpangateConfig } from '../config/index.js';
import { routingConfig } from '../config/schema/routing.js';
import type { RouteDecision, RouteRequest, Router } from '../call/router.js';
import type { Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import { AdminError } from '../errors.js';
import type { Logger } from '../log/index.js';
import { LoopGuard } from './loop-guard.js';
import { compileRouting, decide, formatDecision, type CompiledRouting } from './router.js';

export interface RoutingSubsystemOptions {
  config: SpangateConfig;
  log: Logger;
  admin: AdminRegistry;
  /** Trunk health (OPTIONS, D-channel) once the legs report it; undefined: every trunk counts as up. */
  isUp?: (trunk: string) => boolean;
}

/** Compiles the routing section of a config; throws ConfigError naming the bad key. */
export function compileFromConfig(cfg: SpangateConfig): CompiledRouting {
  return compileRouting(routingConfig(cfg.routing as unknown as Parameters<typeof routingConfig>[0]));
}

/** A route test's answer, over the admin API and offline alike. */
export interface RouteTestResult {
  decision: RouteDecision;
  text: string;
}

export function routeTest(c: CompiledRouting, req: RouteRequest, isUp?: (t: string) => boolean): RouteTestResult {
  const decision = decide(c, req, isUp ? { isUp } : {});
  return { decision, text: formatDecision(decision) };
}

export class RoutingSubsystem implements Subsystem, Router {
  readonly name = 'routing';
  #compiled: CompiledRouting;
  #guard: LoopGuard;
  #guardSettings: { windowMs: number; maxArrivals: number };
  #generation = 1;
  readonly #log: Logger;
  readonly #isUp: ((trunk: string) => boolean) | undefined;

  constructor(o: RoutingSubsystemOptions) {
    this.#log = o.log;
    this.#isUp = o.isUp;
    this.#compiled = compileFromConfig(o.config);
    this.#guard = guardOf(o.config);
    this.#guardSettings = { ...o.config.routing.loopGuard };
    o.admin.register('route.test', 'Routes a test call (fromTrunk, called, calling) and says why; nothing is dialled.', (p) =>
      this.test(requestOf(p)));
  }

  async start(): Promise<void> {
    const c = this.#compiled.cfg;
    this.#log.info({ trunks: Object.keys(c.trunks).length, sites: c.sites.length, routes: c.routes.length }, 'routing tables ready');
  }

  reload(config: SpangateConfig): void {
    const next = compileFromConfig(config); // throws on a bad config: nothing below runs
    this.#compiled = next;
    const g = config.routing.loopGuard;
    if (g.windowMs !== this.#guardSettings.windowMs || g.maxArrivals !== this.#guardSettings.maxArrivals) {
      this.#guard = guardOf(config);
      this.#guardSettings = { ...g };
    }
    this.#generation++;
    this.#log.info({ event: 'routing-reloaded', generation: this.#generation, routes: next.cfg.routes.length }, 'routing tables replaced');
  }

  async drain(_deadline: number): Promise<void> {}

  async stop(): Promise<void> {}

  health(): SubsystemHealth {
    const c = this.#compiled.cfg;
    return { status: 'ok', detail: `${c.routes.length} routes, ${c.sites.length} sites, ${Object.keys(c.trunks).length} trunks (generation ${this.#generation})` };
  }

  /** How many times the tables were built (1 at start, +1 per applied reload). */
  get generation(): number {
    return this.#generation;
  }

  /** Routes a real call: loop guard and trunk health apply. */
  decide(req: RouteRequest): RouteDecision {
    return decide(this.#compiled, req, { loopGuard: this.#guard, ...(this.#isUp ? { isUp: this.#isUp } : {}) });
  }

  /** Routes a test call: like decide() but leaves no trace in the loop guard. */
  test(req: RouteRequest): RouteTestResult {
    return routeTest(this.#compiled, req, this.#isUp);
  }

}

function guardOf(cfg: SpangateConfig): LoopGuard {
  const { windowMs, maxArrivals } = cfg.routing.loopGuard;
  return new LoopGuard({ windowMs, maxArrivals });
}

/** Checks admin params for route.test. */
export function requestOf(p: Record<string, unknown>): RouteRequest {
  const str = (k: string, required: boolean): string => {
    const v = p[k];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string' || (required && v === '')) throw new AdminError(`route.test: ${k} must be a non-empty string`, 'bad-request');
    return v;
  };
  return { fromTrunk: str('fromTrunk', true), called: str('called', true), calling: str('calling', false) };
}
