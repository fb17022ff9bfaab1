// Checks config input before convict merges it: the raw file tree (unknown keys, wrong types)
// and environment overrides. Each problem names the key path and the reason.
import { formatCheck, formatCoerce } from './formats.js';
import { listKeys } from './keys.js';
import { schema } from './schema.js';
import { isKeySpec, type SchemaSection } from './schema/key.js';
import type { Problem } from './rules.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Problems in a parsed config file tree. */
export function checkTree(raw: unknown, root: SchemaSection = schema): Problem[] {
  const problems: Problem[] = [];
  if (!isPlainObject(raw)) return [{ path: '(top level)', reason: 'must be a JSON object' }];
  const walk = (node: SchemaSection, value: Record<string, unknown>, prefix: string): void => {
    for (const [name, v] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${name}` : name;
      const child = Object.prototype.hasOwnProperty.call(node, name) ? node[name] : undefined;
      if (child === undefined) {
        const where = prefix ? `section ${prefix}` : 'the top level';
        problems.push({ path, reason: `unknown key (${where} has: ${Object.keys(node).join(', ')})` });
      } else if (isKeySpec(child)) {
        try {
          formatCheck(child.format)(v);
        } catch (err) {
          problems.push({ path, reason: (err as Error).message });
        }
      } else if (!isPlainObject(v)) {
        problems.push({ path, reason: 'must be an object (a config section)' });
      } else {
        walk(child, v, path);
      }
    }
  };
  walk(root, raw, '');
  return problems;
}

/** Problems with environment overrides (after coercion from their string form). */
export function checkEnv(env: Record<string, string | undefined>, root: SchemaSection = schema): Problem[] {
  const problems: Problem[] = [];
  for (const { path, spec } of listKeys(root)) {
    const s = env[spec.env];
    if (s === undefined) continue;
    try {
      formatCheck(spec.format)(formatCoerce(spec.format, s));
    } catch (err) {
      problems.push({ path, reason: `from environment variable ${spec.env}: ${(err as Error).message}` });
    }
  }
  return problems;
}

/** Checks the schema itself: every key complete, env names unique. Used by tests and at load. */
export function checkSchema(root: SchemaSection = schema): string[] {
  const errors: string[] = [];
  const envs = new Map<string, string>();
  for (const { path, spec } of listKeys(root)) {
    if (!spec.doc || spec.doc.length < 10) errors.push(`${path}: doc missing or too short`);
    if (typeof spec.reloadable !== 'boolean') errors.push(`${path}: reloadable must be true or false`);
    if (!/^SPANGATE_[A-Z0-9_]+$/.test(spec.env ?? '')) errors.push(`${path}: env must be SPANGATE_*`);
    else if (envs.has(spec.env)) errors.push(`${path}: env ${spec.env} also used by ${envs.get(spec.env)}`);
    else envs.set(spec.env, path);
    try {
      formatCheck(spec.format)(spec.default);
    } catch (err) {
      errors.push(`${path}: default fails its own format: ${(err as Error).message}`);
    }
  }
  return errors;
}
