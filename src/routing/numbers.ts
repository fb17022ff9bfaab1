// Number patterns, ranges and translations. Pure functions over digit strings.

import { ConfigError } from '../errors.js';

export interface NumberingPlan {
  /** Country code without '+', e.g. '49'. */
  countryCode: string;
  /** Prefix dialled before a national number, e.g. '0'. Empty when the plan has none. */
  nationalPrefix: string;
  /** Prefix dialled before an international number, e.g. '00' (or '011'). */
  internationalPrefix: string;
}

export type NumberFormat = 'e164' | 'national' | 'as-is';

/**
 * A number pattern, from its config string:
 *  - `*`                     any number
 *  - `+4930555*`             prefix
 *  - `+4930555100-+4930555199` inclusive range (both ends the same length)
 *  - `/^\+4930555(1|2)\d\d$/` regular expression
 *  - `+4930555100`           exactly this number
 */
export interface NumberPattern {
  readonly source: string;
  readonly kind: 'any' | 'prefix' | 'range' | 'regex' | 'exact';
  test(n: string): boolean;
}

const NUM = /^\+?[0-9*#]+$/;

export function compilePattern(source: string, path = 'pattern'): NumberPattern {
  const s = source.trim();
  if (s === '*' || s === '') return { source, kind: 'any', test: () => true };
  if (s.length >= 2 && s.startsWith('/') && s.endsWith('/')) {
    let re: RegExp;
    try {
      re = new RegExp(s.slice(1, -1));
    } catch (e) {
      throw new ConfigError(`bad regular expression ${s}: ${(e as Error).message}`, { path, cause: e });
    }
    return { source, kind: 'regex', test: (n) => re.test(n) };
  }
  const dash = s.indexOf('-', 1);
  if (dash > 0) {
    const lo = s.slice(0, dash);
    const hi = s.slice(dash + 1);
    if (!/^\+?\d+$/.test(lo) || !/^\+?\d+$/.test(hi) || lo.length !== hi.length || lo.startsWith('+') !== hi.startsWith('+')) {
      throw new ConfigError(`bad range ${s}: both ends must be numbers of the same length`, { path });
    }
    if (lo > hi) throw new ConfigError(`bad range ${s}: start is above end`, { path });
    return { source, kind: 'range', test: (n) => n.length === lo.length && n >= lo && n <= hi };
  }
  if (s.endsWith('*')) {
    const p = s.slice(0, -1);
    if (!NUM.test(p)) throw new ConfigError(`bad prefix ${s}`, { path });
    return { source, kind: 'prefix', test: (n) => n.startsWith(p) };
  }
  if (!NUM.test(s)) throw new ConfigError(`bad number pattern ${JSON.stringify(s)} (use *, prefix*, a-b, /regex/ or a number)`, { path });
  return { source, kind: 'exact', test: (n) => n === s };
}

/** A range's bounds, for overlap checks: [lo, hi] for ranges and exact numbers, undefined otherwise. */
export function rangeBounds(p: NumberPattern): [string, string] | undefined {
  if (p.kind === 'exact') return [p.source.trim(), p.source.trim()];
  if (p.kind !== 'range') return undefined;
  const s = p.source.trim();
  const dash = s.indexOf('-', 1);
  return [s.slice(0, dash), s.slice(dash + 1)];
}

/** Normalises to E.164 with '+' when the plan allows; returns the input when it cannot tell. */
export function toE164(n: string, plan: NumberingPlan): string {
  const d = n.replace(/[\s().-]/g, '');
  if (d.startsWith('+')) return d;
  if (plan.internationalPrefix && d.startsWith(plan.internationalPrefix)) return `+${d.slice(plan.internationalPrefix.length)}`;
  if (plan.nationalPrefix && d.startsWith(plan.nationalPrefix) && d.length > plan.nationalPrefix.length) {
    return `+${plan.countryCode}${d.slice(plan.nationalPrefix.length)}`;
  }
  return d;
}

/** Formats an E.164 number (with '+') for a trunk that wants national format. */
export function toNational(n: string, plan: NumberingPlan): string {
  if (!n.startsWith('+')) return n;
  const cc = `+${plan.countryCode}`;
  if (n.startsWith(cc)) return `${plan.nationalPrefix}${n.slice(cc.length)}`;
  return `${plan.internationalPrefix}${n.slice(1)}`;
}

export function formatNumber(n: string, fmt: NumberFormat, plan: NumberingPlan): string {
  if (fmt === 'e164') return toE164(n, plan);
  if (fmt === 'national') return toNational(toE164(n, plan), plan);
  return n;
}

/** One translation step, applied in order. Exactly one key per step. */
export interface TranslationStep {
  /** Remove this many leading characters. */
  strip?: number;
  /** Put this in front. */
  prefix?: string;
  /** Regular-expression replace: `{ match: '^0(\\d+)$', with: '+49$1' }`. */
  replace?: { match: string; with: string };
  /** Normalise to E.164 ('e164') or to national format ('national'). */
  format?: 'e164' | 'national';
}

export interface CompiledStep {
  describe: string;
  apply(n: string, plan: NumberingPlan): string;
}

export function compileTranslation(steps: TranslationStep[] | undefined, path: string): CompiledStep[] {
  return (steps ?? []).map((st, i) => {
    const p = `${path}[${i}]`;
    const keys = Object.keys(st).filter((k) => (st as Record<string, unknown>)[k] !== undefined);
    if (keys.length !== 1) throw new ConfigError(`a translation step needs exactly one of strip, prefix, replace, format (got ${keys.join(', ') || 'none'})`, { path: p });
    if (st.strip !== undefined) {
      const k = st.strip;
      if (!Number.isInteger(k) || k < 0) throw new ConfigError('strip must be a non-negative integer', { path: p });
      return { describe: `strip ${k}`, apply: (n) => n.slice(k) };
    }
    if (st.prefix !== undefined) {
      const pre = st.prefix;
      if (!/^\+?[0-9*#]*$/.test(pre)) throw new ConfigError(`bad prefix ${JSON.stringify(pre)}`, { path: p });
      return { describe: `prefix ${pre}`, apply: (n) => pre + n };
    }
    if (st.replace !== undefined) {
      let re: RegExp;
      try {
        re = new RegExp(st.replace.match);
      } catch (e) {
        throw new ConfigError(`bad regular expression ${st.replace.match}: ${(e as Error).message}`, { path: p, cause: e });
      }
      const w = st.replace.with;
      return { describe: `replace /${st.replace.match}/ → ${w}`, apply: (n) => n.replace(re, w) };
    }
    const f = st.format;
    if (f !== 'e164' && f !== 'national') throw new ConfigError(`format must be e164 or national`, { path: p });
    return { describe: `format ${f}`, apply: (n, plan) => formatNumber(n, f, plan) };
  });
}

/** Applies steps, returning the result and one explanation line per step that changed something. */
export function translate(n: string, steps: CompiledStep[], plan: NumberingPlan, what: string): { value: string; lines: string[] } {
  const lines: string[] = [];
  let v = n;
  for (const s of steps) {
    const next = s.apply(v, plan);
    if (next !== v) lines.push(`${what}: ${s.describe}: ${v} → ${next}`);
    v = next;
  }
  return { value: v, lines };
}
