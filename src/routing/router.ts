// Routing v1: explicit ordered routes first, then routing derived from number-range ownership
// (DESIGN §6). `compileRouting()` validates the config once; `decide()` is pure and explains
// every step so `spangate route test <from-trunk> <number>` can show why.

import { ConfigError } from '../errors.js';
import { Cause, causeText } from '../call/causes.js';
import { DEFAULT_FAILOVER_CAUSES, type RouteDecision, type RouteRequest, type RouteTarget, type Router } from '../call/router.js';
import {
  compilePattern, compileTranslation, formatNumber, rangeBounds, toE164, translate,
  type CompiledStep, type NumberFormat, type NumberPattern, type NumberingPlan, type TranslationStep,
} from './numbers.js';
import type { LoopGuard } from './loop-guard.js';

export type TrunkRole = 'pstn' | 'pbx' | 'uc' | 'peer';

/** What routing needs to know about a trunk (the SIP/TDM settings live elsewhere). */
export interface RoutingTrunk {
  role: TrunkRole;
  /** How numbers are signalled on this trunk; inbound numbers are normalised from it, outbound formatted to it. */
  numberFormat?: NumberFormat;
}

export interface RangeConfig {
  /** Number pattern (range, prefix, exact) in E.164. */
  numbers: string;
  /** Trunk that owns the range (a PBX trunk or the UC trunk). */
  owner: string;
  /** Trunks to try when the owner fails (survivability: the old PBX, another trunk). */
  fallback?: string[];
}

export interface SiteConfig {
  id: string;
  name?: string;
  ranges: RangeConfig[];
}

export interface RouteConfig {
  id: string;
  /** Match on the inbound trunk(s); omitted = any. */
  fromTrunk?: string[];
  /** Patterns on the normalised called / calling number; omitted = any. */
  called?: string;
  calling?: string;
  /** Outbound trunks in failover order. Empty with `reject` set: refuse the call. */
  targets: string[];
  /** Refuse matching calls with this Q.850 cause instead of routing them. */
  reject?: number;
  translateCalled?: TranslationStep[];
  translateCalling?: TranslationStep[];
  failoverCauses?: number[];
}

export interface RoutingConfig {
  plan: NumberingPlan;
  trunks: Record<string, RoutingTrunk>;
  sites: SiteConfig[];
  routes: RouteConfig[];
  /** Causes on which a call moves to the next target (default: 3, 27, 34, 38, 41, 42, 47, 102). */
  failoverCauses?: number[];
}

interface CompiledRange {
  site: string;
  pattern: NumberPattern;
  owner: string;
  fallback: string[];
}

interface CompiledRoute {
  cfg: RouteConfig;
  called: NumberPattern;
  calling: NumberPattern;
  tCalled: CompiledStep[];
  tCalling: CompiledStep[];
}

export interface CompiledRouting {
  cfg: RoutingConfig;
  ranges: CompiledRange[];
  routes: CompiledRoute[];
  pstn: string[];
}

/** Validates and compiles routing config. Throws ConfigError naming the offending key. */
export function compileRouting(cfg: RoutingConfig): CompiledRouting {
  const trunkIds = new Set(Object.keys(cfg.trunks));
  const needTrunk = (id: string, path: string): void => {
    if (!trunkIds.has(id)) throw new ConfigError(`unknown trunk ${JSON.stringify(id)}`, { path });
  };
  for (const [id, t] of Object.entries(cfg.trunks)) {
    if (!['pstn', 'pbx', 'uc', 'peer'].includes(t.role)) throw new ConfigError(`trunk role must be pstn, pbx, uc or peer`, { path: `routing.trunks.${id}.role` });
  }
  if (!/^\d{1,3}$/.test(cfg.plan.countryCode)) throw new ConfigError('country code must be 1-3 digits', { path: 'routing.plan.countryCode' });
  const checkCauses = (c: number[] | undefined, path: string): void => {
    for (const x of c ?? []) if (!Number.isInteger(x) || x < 1 || x > 127) throw new ConfigError(`bad Q.850 cause ${x}`, { path });
  };
  checkCauses(cfg.failoverCauses, 'routing.failoverCauses');

  const ranges: CompiledRange[] = [];
  const siteIds = new Set<string>();
  cfg.sites.forEach((s, si) => {
    if (siteIds.has(s.id)) throw new ConfigError(`duplicate site id ${s.id}`, { path: `routing.sites[${si}].id` });
    siteIds.add(s.id);
    s.ranges.forEach((r, ri) => {
      const path = `routing.sites[${si}].ranges[${ri}]`;
      const pattern = compilePattern(r.numbers, `${path}.numbers`);
      if (pattern.kind === 'regex' || pattern.kind === 'any') throw new ConfigError('a site range must be a range, prefix or number', { path: `${path}.numbers` });
      needTrunk(r.owner, `${path}.owner`);
      (r.fallback ?? []).forEach((f, fi) => needTrunk(f, `${path}.fallback[${fi}]`));
      ranges.push({ site: s.id, pattern, owner: r.owner, fallback: r.fallback ?? [] });
    });
  });
  // Two ranges claiming one number would make ownership ambiguous: refuse overlaps.
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const x = ranges[i] as CompiledRange;
      const y = ranges[j] as CompiledRange;
      if (overlaps(x.pattern, y.pattern)) {
        throw new ConfigError(`ranges ${x.pattern.source} (site ${x.site}) and ${y.pattern.source} (site ${y.site}) overlap`, { path: 'routing.sites' });
      }
    }
  }
  const routeIds = new Set<string>();
  const routes = cfg.routes.map((r, i) => {
    const path = `routing.routes[${i}]`;
    if (routeIds.has(r.id)) throw new ConfigError(`duplicate route id ${r.id}`, { path: `${path}.id` });
    routeIds.add(r.id);
    (r.fromTrunk ?? []).forEach((t, k) => needTrunk(t, `${path}.fromTrunk[${k}]`));
    r.targets.forEach((t, k) => needTrunk(t, `${path}.targets[${k}]`));
    if (r.targets.length === 0 && r.reject === undefined) throw new ConfigError('a route needs targets or reject', { path });
    if (r.reject !== undefined) checkCauses([r.reject], `${path}.reject`);
    checkCauses(r.failoverCauses, `${path}.failoverCauses`);
    return {
      cfg: r,
      called: compilePattern(r.called ?? '*', `${path}.called`),
      calling: compilePattern(r.calling ?? '*', `${path}.calling`),
      tCalled: compileTranslation(r.translateCalled, `${path}.translateCalled`),
      tCalling: compileTranslation(r.translateCalling, `${path}.translateCalling`),
    };
  });
  const pstn = Object.entries(cfg.trunks).filter(([, t]) => t.role === 'pstn').map(([id]) => id);
  return { cfg, ranges, routes, pstn };
}

function prefixBounds(p: NumberPattern): string | undefined {
  return p.kind === 'prefix' ? p.source.trim().slice(0, -1) : undefined;
}

function overlaps(a: NumberPattern, b: NumberPattern): boolean {
  const pa = prefixBounds(a);
  const pb = prefixBounds(b);
  if (pa !== undefined && pb !== undefined) return pa.startsWith(pb) || pb.startsWith(pa);
  if (pa !== undefined || pb !== undefined) {
    const pre = (pa ?? pb) as string;
    const [lo, hi] = rangeBounds(pa !== undefined ? b : a) as [string, string];
    // A range overlaps a prefix when some number of the range starts with it.
    if (lo.startsWith(pre) || hi.startsWith(pre)) return true;
    const cut = (s: string): string => s.slice(0, pre.length);
    return pre.length <= lo.length && cut(lo) < pre && pre < cut(hi);
  }
  const [alo, ahi] = rangeBounds(a) as [string, string];
  const [blo, bhi] = rangeBounds(b) as [string, string];
  return alo.length === blo.length && alo <= bhi && blo <= ahi;
}

export interface DecideOptions {
  /** Trunk health (OPTIONS/D-channel): down trunks go last, not away, since health can lag. */
  isUp?: (trunk: string) => boolean;
  loopGuard?: LoopGuard;
}

export class NumberRouter implements Router {
  constructor(private readonly compiled: CompiledRouting, private readonly opts: DecideOptions = {}) {}

  decide(req: RouteRequest): RouteDecision {
    return decide(this.compiled, req, this.opts);
  }
}

/** The owner range of a normalised number, if any site claims it. */
export function ownerOf(c: CompiledRouting, n: string): CompiledRange | undefined {
  return c.ranges.find((r) => r.pattern.test(n));
}

export function decide(c: CompiledRouting, req: RouteRequest, opts: DecideOptions = {}): RouteDecision {
  const { cfg } = c;
  const lines: string[] = [];
  const refuse = (cause: number, why: string): RouteDecision => {
    lines.push(`${why} → refuse with cause ${cause} (${causeText(cause)})`);
    return { targets: [], failoverCauses: [], cause, explanation: lines };
  };
  const from = cfg.trunks[req.fromTrunk];
  if (!from) return refuse(Cause.CALL_REJECTED, `call from unknown trunk ${req.fromTrunk}`);
  const inFmt = from.numberFormat ?? 'as-is';
  const called = inFmt === 'as-is' ? req.called : toE164(req.called, cfg.plan);
  const calling = inFmt === 'as-is' ? req.calling : toE164(req.calling, cfg.plan);
  lines.push(`from trunk ${req.fromTrunk} (${from.role}), called ${req.called}${called !== req.called ? ` → ${called}` : ''}, calling ${req.calling || '(none)'}${calling !== req.calling ? ` → ${calling}` : ''}`);
  if (req.via?.includes(req.fromTrunk) || (req.via && new Set(req.via).size !== req.via.length)) {
    return refuse(Cause.EXCHANGE_ROUTING_ERROR, `loop: call already passed through ${req.via.join(', ')}`);
  }
  if (opts.loopGuard) {
    const seen = opts.loopGuard.check(req.fromTrunk, calling, called);
    if (seen.loop !== undefined) return refuse(Cause.EXCHANGE_ROUTING_ERROR, `loop guard: ${seen.loop}`);
    const d = route(c, req, { called, calling, role: from.role }, lines, refuse, opts);
    // A refused call is not up: its arrival is forgotten at once.
    if (d.targets.length === 0) seen.release();
    else d.release = seen.release;
    return d;
  }
  return route(c, req, { called, calling, role: from.role }, lines, refuse, opts);
}

/** The routing steps after the loop checks, on normalised numbers. */
function route(
  c: CompiledRouting, req: RouteRequest, n: { called: string; calling: string; role: TrunkRole }, lines: string[],
  refuse: (cause: number, why: string) => RouteDecision, opts: DecideOptions,
): RouteDecision {
  const { cfg } = c;
  const { called, calling } = n;

  let trunks: string[] | undefined;
  let tCalled: CompiledStep[] = [];
  let tCalling: CompiledStep[] = [];
  let failover = cfg.failoverCauses ?? [...DEFAULT_FAILOVER_CAUSES];
  let why = '';
  for (const r of c.routes) {
    const fromOk = !r.cfg.fromTrunk || r.cfg.fromTrunk.includes(req.fromTrunk);
    if (!fromOk || !r.called.test(called) || !r.calling.test(calling)) continue;
    why = `route '${r.cfg.id}'`;
    lines.push(`${why} matches (from ${r.cfg.fromTrunk?.join('|') ?? 'any'}, called ${r.called.source}, calling ${r.calling.source})`);
    if (r.cfg.reject !== undefined) return refuse(r.cfg.reject, `${why} rejects`);
    trunks = [...r.cfg.targets];
    tCalled = r.tCalled;
    tCalling = r.tCalling;
    if (r.cfg.failoverCauses) failover = r.cfg.failoverCauses;
    break;
  }
  if (!trunks) {
    lines.push('no explicit route matches; deriving from number ownership');
    const derived = derive(c, req.fromTrunk, n.role, called, lines);
    if ('cause' in derived) return refuse(derived.cause, derived.why);
    trunks = derived.trunks;
    why = derived.why;
  }

  // Never send a call back where it came from.
  const before = trunks.length;
  trunks = trunks.filter((t, i) => t !== req.fromTrunk && trunks!.indexOf(t) === i);
  if (trunks.length < before) lines.push(`dropped the inbound trunk ${req.fromTrunk} and duplicates from the targets`);
  if (trunks.length === 0) return refuse(Cause.EXCHANGE_ROUTING_ERROR, 'the only target is the trunk the call came from');
  if (opts.isUp) {
    const up = trunks.filter((t) => opts.isUp!(t));
    const down = trunks.filter((t) => !opts.isUp!(t));
    if (down.length > 0) lines.push(`trunk(s) down, tried last: ${down.join(', ')}`);
    trunks = [...up, ...down];
  }

  const tc = translate(called, tCalled, cfg.plan, 'called');
  const tg = translate(calling, tCalling, cfg.plan, 'calling');
  lines.push(...tc.lines, ...tg.lines);
  const targets: RouteTarget[] = trunks.map((trunk) => {
    const fmt = cfg.trunks[trunk]?.numberFormat ?? 'as-is';
    return {
      trunk,
      called: formatNumber(tc.value, fmt, cfg.plan),
      calling: tg.value === '' ? '' : formatNumber(tg.value, fmt, cfg.plan),
      reason: why,
    };
  });
  for (const t of targets) lines.push(`→ ${t.trunk}: called ${t.called}, calling ${t.calling || '(none)'}`);
  lines.push(`failover on causes ${failover.join(', ')}`);
  return { targets, failoverCauses: failover, explanation: lines };
}

type Derived = { trunks: string[]; why: string } | { cause: number; why: string };

function derive(c: CompiledRouting, fromTrunk: string, role: TrunkRole, called: string, lines: string[]): Derived {
  const owned = ownerOf(c, called);
  if (owned) lines.push(`called ${called} is in ${owned.pattern.source} of site ${owned.site}, owned by ${owned.owner}`);
  else lines.push(`called ${called} is in no site range`);
  const ownerRole = owned ? c.cfg.trunks[owned.owner]?.role : undefined;
  const toOwner = (): Derived => ({ trunks: [owned!.owner, ...owned!.fallback], why: `owner of ${owned!.pattern.source}` });
  const toPstn = (): Derived =>
    c.pstn.length > 0 ? { trunks: [...c.pstn], why: 'not a local number: PSTN' } : { cause: Cause.NO_ROUTE_DESTINATION, why: 'no PSTN trunk configured' };
  switch (role) {
    case 'pstn':
    case 'peer':
      // From outside: only numbers we own are ours to deliver.
      if (owned) return toOwner();
      return role === 'pstn' ? { cause: Cause.UNALLOCATED_NUMBER, why: 'PSTN call to a number no site owns' } : toPstn();
    case 'pbx':
      if (owned && ownerRole === 'uc') return toOwner();
      if (owned && owned.owner === fromTrunk) return { cause: Cause.EXCHANGE_ROUTING_ERROR, why: 'PBX called a number it owns itself (loop)' };
      if (owned && ownerRole === 'pbx') return toOwner();
      return toPstn();
    case 'uc':
      if (owned && ownerRole === 'pbx') return toOwner();
      if (owned && ownerRole === 'uc') return { cause: Cause.EXCHANGE_ROUTING_ERROR, why: 'UC server called a number it owns itself (loop)' };
      return toPstn();
  }
}

/** Formats a decision for `spangate route test`. */
export function formatDecision(d: RouteDecision): string {
  const out = d.explanation.map((l) => `  ${l}`);
  if (d.targets.length === 0) out.unshift(`REFUSE cause ${d.cause} (${causeText(d.cause ?? Cause.NO_ROUTE_DESTINATION)})`);
  else out.unshift(`ROUTE ${d.targets.map((t) => `${t.trunk}:${t.called}`).join(' then ')}`);
  return out.join('\n');
}
