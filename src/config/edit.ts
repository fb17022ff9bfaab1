// `spangate config set` / `unset`: change one key in a config file. The new file is validated before it
// is written, written atomically (temporary file, fsync, rename) and the version it replaces is
// kept in <file>.history/ (the newest HISTORY_KEEP versions).
import {
  closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync,
  statSync, unlinkSync, writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { formatCoerce } from './formats.js';
import { deepClone, deletePath, getPath, lookup, setPath, type KeyInfo } from './keys.js';
import { loadConfigObject, readConfigFile } from './load.js';
import type { SpangateConfig } from './schema.js';

export const HISTORY_KEEP = 10;

export interface SetResult {
  config: SpangateConfig;
  changed: boolean;
  /** Where the replaced version was kept (undefined when the file did not exist or nothing changed). */
  previous: string | undefined;
  /** The key's reload behaviour: a running daemon applies it on reload, or needs a restart. */
  reloadable: boolean;
}

/** Turns command-line text into a value: JSON when it parses, else the format's coercion of the string. */
export function parseValue(text: string, format: unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return formatCoerce(format, text);
  }
}

export function historyDir(file: string): string {
  return `${file}.history`;
}

/** Kept versions of a config file, oldest first. */
export function listHistory(file: string): string[] {
  const dir = historyDir(file);
  if (!existsSync(dir)) return [];
  const prefix = `${basename(file)}.`;
  return readdirSync(dir).filter((n) => n.startsWith(prefix)).sort().map((n) => join(dir, n));
}

/** The schema key a command-line path names; unknown keys and sections are ConfigErrors. */
function resolveKey(file: string, keyPath: string): KeyInfo {
  const found = lookup(keyPath);
  if (found.kind === 'unknown') {
    const where = found.known ? `section ${found.known}` : 'the top level';
    throw new ConfigError(`${file}: ${keyPath}: unknown key (${where} has: ${found.children.join(', ')})`, {
      file, path: keyPath, reason: 'unknown key',
    });
  }
  if (found.kind === 'section') {
    throw new ConfigError(`${file}: ${keyPath}: is a section; name one of its keys (${found.children.join(', ')})`, {
      file, path: keyPath, reason: 'is a section',
    });
  }
  const { info, rest } = found;
  const isMap = typeof info.spec.default === 'object' && info.spec.default !== null && !Array.isArray(info.spec.default);
  if (rest.length > 0 && !isMap) {
    throw new ConfigError(`${file}: ${keyPath}: ${info.path} is a single value, it has no sub-keys`, {
      file, path: keyPath, reason: 'not a map',
    });
  }
  return info;
}

export function setConfigKey(file: string, keyPath: string, valueText: string): SetResult {
  const info = resolveKey(file, keyPath);
  const value = keyPath === info.path ? parseValue(valueText, info.spec.format) : parseValue(valueText, undefined);
  const exists = existsSync(file);
  const raw = exists ? readConfigFile(file) : {};
  const next = deepClone(raw);
  setPath(next, keyPath, value);
  const unchanged = exists && JSON.stringify(getPath(raw, keyPath)) === JSON.stringify(value);
  return commit(file, exists, next, unchanged, info);
}

/** Removes a key from the file, so its default (or environment) value applies again. */
export function unsetConfigKey(file: string, keyPath: string): SetResult {
  const info = resolveKey(file, keyPath);
  const raw = readConfigFile(file);
  const next = deepClone(raw);
  deletePath(next, keyPath);
  return commit(file, true, next, getPath(raw, keyPath) === undefined, info);
}

/** Validates the new tree, then keeps the old file and writes the new one atomically. */
function commit(file: string, exists: boolean, next: Record<string, unknown>, unchanged: boolean, info: KeyInfo): SetResult {
  // The file must be valid on its own, whatever the current environment overrides.
  const config = loadConfigObject(next, { file, env: {} });
  if (unchanged) return { config, changed: false, previous: undefined, reloadable: info.spec.reloadable };
  const mode = exists ? statSync(file).mode & 0o777 : 0o640;
  const previous = exists ? keepVersion(file) : undefined;
  writeAtomic(file, `${JSON.stringify(next, null, 2)}\n`, mode);
  return { config, changed: true, previous, reloadable: info.spec.reloadable };
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('.', '-');
}

/** Copies the current file into the history directory and prunes old versions. */
function keepVersion(file: string): string {
  const dir = historyDir(file);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  let target = join(dir, `${basename(file)}.${stamp()}`);
  for (let n = 1; existsSync(target); n++) target = join(dir, `${basename(file)}.${stamp()}.${n}`);
  copyFileSync(file, target);
  const kept = listHistory(file);
  for (const old of kept.slice(0, Math.max(0, kept.length - HISTORY_KEEP))) unlinkSync(old);
  return target;
}

/** Writes through a temporary file in the same directory, so readers see old or new, never half. */
export function writeAtomic(file: string, text: string, mode = 0o640): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
