// Comparing configurations key by key, and redacting secrets for display.
import { listKeys } from './keys.js';
import { getPath, setPath, deepClone } from './keys.js';
import { schema } from './schema.js';
import type { SchemaSection } from './schema/key.js';

export const REDACTED = '<redacted>';

export interface Change {
  path: string;
  from: unknown;
  to: unknown;
  reloadable: boolean;
}

/** Field names inside structured values (e.g. sip.trunks.<id>.authPassword) that hold secrets. */
const SECRET_FIELD = /password|secret/i;

/** A copy of a structured value with every secret-named field redacted, at any depth. */
function redactFields(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactFields);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = SECRET_FIELD.test(k) && typeof x === 'string' && x !== '' ? REDACTED : redactFields(x);
  }
  return out;
}

function show(spec: { sensitive?: boolean }, v: unknown): unknown {
  return spec.sensitive ? REDACTED : redactFields(v);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Keys whose value differs between two configurations (values redacted where sensitive). */
export function diffConfigs(a: unknown, b: unknown, root: SchemaSection = schema): Change[] {
  const out: Change[] = [];
  for (const { path, spec } of listKeys(root)) {
    const from = getPath(a, path);
    const to = getPath(b, path);
    if (same(from, to)) continue;
    out.push({
      path,
      from: show(spec, from),
      to: show(spec, to),
      reloadable: spec.reloadable,
    });
  }
  return out;
}

/**
 * A copy with every sensitive key replaced by "<redacted>" (empty values stay empty), and every
 * password/secret field inside structured values (trunk lists) redacted too.
 */
export function redact<T>(cfg: T, root: SchemaSection = schema): T {
  const copy = deepClone(cfg) as Record<string, unknown>;
  for (const { path, spec } of listKeys(root)) {
    const v = getPath(copy, path);
    if (v === undefined || v === '' || v === null) continue;
    if (spec.sensitive) setPath(copy, path, REDACTED);
    else if (typeof v === 'object') setPath(copy, path, redactFields(v));
  }
  return copy as T;
}

/**
 * The config a running daemon moves to on reload: reloadable keys take their new values,
 * restart-required keys keep the running ones (and are reported as pending a restart).
 */
export function applyReloadable<T>(running: T, next: T, root: SchemaSection = schema): { config: T; applied: string[]; pending: string[] } {
  const result = deepClone(next) as Record<string, unknown>;
  const applied: string[] = [];
  const pending: string[] = [];
  for (const { path, spec } of listKeys(root)) {
    const from = getPath(running, path);
    const to = getPath(next, path);
    if (same(from, to)) continue;
    if (spec.reloadable) applied.push(path);
    else {
      pending.push(path);
      setPath(result, path, deepClone(from));
    }
  }
  return { config: result as T, applied, pending };
}
