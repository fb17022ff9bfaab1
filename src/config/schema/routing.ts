// routing: the numbering plan, trunk roles, sites with owned number ranges, explicit routes.
// Cross-key checks (unknown trunks, overlapping ranges, bad patterns) run in
// compileRouting(); routingRules() adapts them for src/config/rules.ts.
// Keys have the shape of src/config/schema/key.ts (doc, format, default, env, reloadable).

import { ConfigError } from '../../errors.js';
import { DEFAULT_FAILOVER_CAUSES } from '../../call/router.js';
import { compileRouting, type RouteConfig, type RoutingConfig, type RoutingTrunk, type SiteConfig } from '../../routing/router.js';

interface Key<T> { doc: string; format: string | readonly unknown[]; default: T; env: string; reloadable: boolean }
const key = <T>(k: Key<T>): Key<T> => k;

export const routingSchema = {
  plan: {
    countryCode: key<string>({
      doc: 'Country code of this site, without "+" (E.164 normalisation of national numbers).',
      format: 'digits', default: '1', env: 'SPANGATE_ROUTING_COUNTRY_CODE', reloadable: true,
    }),
    nationalPrefix: key<string>({
      doc: 'Trunk prefix dialled before national numbers ("0" in most of Europe, "1" in NANP).',
      format: 'digits-or-empty', default: '1', env: 'SPANGATE_ROUTING_NATIONAL_PREFIX', reloadable: true,
    }),
    internationalPrefix: key<string>({
      doc: 'Prefix dialled before international numbers ("00", "011").',
      format: 'digits-or-empty', default: '011', env: 'SPANGATE_ROUTING_INTERNATIONAL_PREFIX', reloadable: true,
    }),
  },
  trunks: key<Record<string, RoutingTrunk>>({
    doc: 'Role and number format of every trunk (SIP trunk ids and TDM span groups): { "pri1": { "role": "pstn", "numberFormat": "national" } }. Roles: pstn, pbx, uc, peer.',
    format: 'routing-trunks', default: {}, env: 'SPANGATE_ROUTING_TRUNKS', reloadable: true,
  }),
  sites: key<SiteConfig[]>({
    doc: 'Sites (buildings) and the number ranges they own: [{ "id": "hq", "ranges": [{ "numbers": "+4930555100-+4930555199", "owner": "pbx", "fallback": ["pbx"] }] }]. Moving a range to the UC server is changing its owner.',
    format: 'json-array', default: [], env: 'SPANGATE_ROUTING_SITES', reloadable: true,
  }),
  routes: key<RouteConfig[]>({
    doc: 'Explicit routes, first match wins, before ownership-derived routing: [{ "id": "emergency", "called": "/^(911|112)$/", "targets": ["pri1"] }]. Patterns: *, prefix*, a-b, /regex/, exact.',
    format: 'json-array', default: [], env: 'SPANGATE_ROUTING_ROUTES', reloadable: true,
  }),
  failoverCauses: key<number[]>({
    doc: 'Q.850 causes on which a call moves on to its next target.',
    format: 'q850-causes', default: [...DEFAULT_FAILOVER_CAUSES], env: 'SPANGATE_ROUTING_FAILOVER_CAUSES', reloadable: true,
  }),
  loopGuard: {
    windowMs: key<number>({
      doc: 'Loop guard: the longest an arrival of a calling/called pair is remembered; it counts only while its call is up (a loop holds every hop at once; a caller redialling one after the other never adds up).',
      format: 'duration-ms', default: 60_000, env: 'SPANGATE_ROUTING_LOOP_WINDOW_MS', reloadable: true,
    }),
    maxArrivals: key<number>({
      doc: 'Loop guard: calls of one calling/called pair up at once (within the window) before the next is refused with cause 25.',
      format: 'non-negative-int', default: 3, env: 'SPANGATE_ROUTING_LOOP_MAX', reloadable: true,
    }),
  },
};

export const routingFormats = {
  digits: { check: (v: unknown): void => { if (typeof v !== 'string' || !/^\d{1,3}$/.test(v)) throw new Error('must be 1-3 digits'); } },
  'digits-or-empty': { check: (v: unknown): void => { if (typeof v !== 'string' || !/^\d{0,4}$/.test(v)) throw new Error('must be up to 4 digits'); } },
  'json-array': { check: (v: unknown): void => { if (!Array.isArray(v)) throw new Error('must be a list'); }, coerce: (s: string): unknown => JSON.parse(s) },
  'routing-trunks': {
    check: (v: unknown): void => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('must be an object of trunks by id');
      for (const [id, t] of Object.entries(v)) {
        const r = (t as { role?: unknown }).role;
        if (!['pstn', 'pbx', 'uc', 'peer'].includes(r as string)) throw new Error(`trunk ${id}: role must be pstn, pbx, uc or peer`);
      }
    },
    coerce: (s: string): unknown => JSON.parse(s),
  },
  'q850-causes': {
    check: (v: unknown): void => {
      if (!Array.isArray(v) || !v.every((c) => Number.isInteger(c) && c >= 1 && c <= 127)) throw new Error('must be a list of Q.850 causes 1-127');
    },
    coerce: (s: string): unknown => s.split(',').map((x) => Number(x.trim())),
  },
};

/** The section as the router takes it. */
export function routingConfig(r: {
  plan: RoutingConfig['plan']; trunks: Record<string, RoutingTrunk>; sites: readonly SiteConfig[]; routes: readonly RouteConfig[]; failoverCauses: readonly number[];
}): RoutingConfig {
  return {
    plan: { ...r.plan }, trunks: { ...r.trunks }, sites: [...r.sites], routes: [...r.routes], failoverCauses: [...r.failoverCauses],
  };
}

/** Cross-key rules, for src/config/rules.ts: every error names its key path. */
export function routingRules(r: Parameters<typeof routingConfig>[0]): [string, string][] {
  try {
    compileRouting(routingConfig(r));
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [[e.path ?? 'routing', e.message]];
    throw e;
  }
}
