// Walking the schema: the list of keys, lookups by dotted path, and get/set on plain objects.
import { schema } from './schema.js';
import { isKeySpec, type KeySpec, type SchemaSection } from './schema/key.js';

export interface KeyInfo {
  /** Dotted path, e.g. "daemon.drainTimeoutMs". */
  path: string;
  spec: KeySpec<unknown>;
}

/** Every key of a schema, depth first, in declaration order. */
export function listKeys(root: SchemaSection = schema): KeyInfo[] {
  const out: KeyInfo[] = [];
  const walk = (node: SchemaSection, prefix: string): void => {
    for (const [name, child] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (isKeySpec(child)) out.push({ path, spec: child });
      else walk(child, path);
    }
  };
  walk(root, '');
  return out;
}

export type Lookup =
  | { kind: 'key'; info: KeyInfo; rest: string[] }
  | { kind: 'section'; path: string; children: string[] }
  | { kind: 'unknown'; known: string; children: string[] };

/**
 * Resolves a dotted path against the schema. `rest` holds any segments below a key whose
 * value is an object map (e.g. "log.subsystems.sip"); for `unknown`, `known` is the deepest
 * section that exists and `children` its names (to say what was meant).
 */
export function lookup(path: string, root: SchemaSection = schema): Lookup {
  const parts = path.split('.');
  let node: SchemaSection = root;
  const seen: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const child = Object.prototype.hasOwnProperty.call(node, part) ? node[part] : undefined;
    if (child === undefined) return { kind: 'unknown', known: seen.join('.'), children: Object.keys(node) };
    seen.push(part);
    if (isKeySpec(child)) {
      return { kind: 'key', info: { path: seen.join('.'), spec: child }, rest: parts.slice(i + 1) };
    }
    node = child;
  }
  return { kind: 'section', path: seen.join('.'), children: Object.keys(node) };
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Sets a value at a dotted path in a plain object, creating sections as needed. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (FORBIDDEN.has(part)) throw new Error(`forbidden key ${part}`);
    const next = cur[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (FORBIDDEN.has(last)) throw new Error(`forbidden key ${last}`);
  cur[last] = value;
}

/** Removes a dotted path; empty sections left behind are removed too. */
export function deletePath(obj: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  const chain: Record<string, unknown>[] = [obj];
  for (const part of parts.slice(0, -1)) {
    const next = chain[chain.length - 1]![part];
    if (typeof next !== 'object' || next === null) return;
    chain.push(next as Record<string, unknown>);
  }
  delete chain[chain.length - 1]![parts[parts.length - 1]!];
  for (let i = chain.length - 1; i > 0; i--) {
    if (Object.keys(chain[i]!).length > 0) break;
    delete chain[i - 1]![parts[i - 1]!];
  }
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function deepClone<T>(value: T): T {
  return structuredClone(value);
}
