// Loading the configuration: defaults, then the file, then environment overrides, validated
// key by key and across keys, returned frozen. The only convict and process.env user.
import { existsSync, readFileSync } from 'node:fs';
import convict from 'convict';
import { ConfigError } from '../errors.js';
import { FORMATS } from './formats.js';
import { deepClone, deepFreeze, deletePath, getPath, listKeys } from './keys.js';
import { validateCrossKeys, type Problem } from './rules.js';
import { schema, type SpangateConfig } from './schema.js';
import { checkEnv, checkTree } from './validate.js';

for (const [name, def] of Object.entries(FORMATS)) {
  convict.addFormat({ name, validate: (v: unknown) => def.check(v), coerce: def.coerce });
}

export type Env = Record<string, string | undefined>;

export interface LoadOptions {
  /** Environment to read overrides from; defaults to process.env. */
  env?: Env;
}

/** Where the config file is when none is named: $SPANGATE_CONFIG or /etc/spangate/spangate.json. */
export const DEFAULT_CONFIG_FILE = '/etc/spangate/spangate.json';

export function defaultConfigFile(env: Env = process.env): string {
  return env.SPANGATE_CONFIG || DEFAULT_CONFIG_FILE;
}

/** Which file to read: the named one (it must then exist), else the default location if present. */
export function resolveConfigFile(named: string | undefined, env: Env = process.env): string | undefined {
  if (named !== undefined) return named;
  const def = defaultConfigFile(env);
  return existsSync(def) ? def : undefined;
}

/** The process environment, for callers outside src/config that must pass one explicitly. */
export function processEnv(): Env {
  return process.env;
}

/** Reads and parses a config file; the result is not yet validated. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? 'error'})`;
    throw configError(file, { path: '(file)', reason }, err);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw configError(file, { path: '(file)', reason: `not valid JSON: ${(err as Error).message}` }, err);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configError(file, { path: '(top level)', reason: 'must be a JSON object' });
  }
  return raw as Record<string, unknown>;
}

/** Loads, validates and freezes the configuration from a file (or defaults only) plus env. */
export function loadConfig(file?: string, opts: LoadOptions = {}): SpangateConfig {
  const raw = file === undefined ? {} : readConfigFile(file);
  return loadConfigObject(raw, { ...opts, file });
}

/** As loadConfig, from an already parsed tree; `file` only labels errors. */
export function loadConfigObject(raw: unknown, opts: LoadOptions & { file?: string } = {}): SpangateConfig {
  const env = opts.env ?? process.env;
  const file = opts.file;
  const fileProblems = checkTree(raw);
  if (fileProblems.length > 0) throw configError(file, fileProblems);
  const envProblems = checkEnv(env);
  if (envProblems.length > 0) throw configError(file, envProblems, undefined, 'environment');

  // convict mutates the schema it is given, so each load gets its own copy.
  const conf = convict(deepClone(schema) as unknown as convict.Schema<SpangateConfig>, { env: { ...env }, args: [] });
  // convict walks into object values and fails on maps of objects (sip.trunks): keys whose
  // value is an object are set whole after the load, unless the environment overrides them.
  const tree = deepClone(raw) as Record<string, unknown>;
  const whole: [string, unknown][] = [];
  for (const { path, spec } of listKeys(schema)) {
    const v = getPath(tree, path);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    deletePath(tree, path);
    if (env[spec.env] === undefined) whole.push([path, v]);
  }
  try {
    conf.load(tree);
    for (const [path, v] of whole) conf.set(path as never, v as never);
    // convict's strict validation walks map keys as paths, so a key with a dot (a host name in
    // sip.edge.hostMap, a trunk id "carrier.a") is "not found". Map-valued keys were checked by
    // checkTree/checkEnv above: convict validates them empty and gets them back afterwards.
    const maps: [string, unknown][] = [];
    for (const { path } of listKeys(schema)) {
      const v = conf.get(path as never) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.keys(v).some((k) => k.includes('.'))) continue;
      maps.push([path, v]);
      conf.set(path as never, {} as never);
    }
    conf.validate({ allowed: 'strict' });
    for (const [path, v] of maps) conf.set(path as never, v as never);
  } catch (err) {
    // Our own checks above should have caught everything; this is the safety net.
    throw configError(file, { path: '(unknown)', reason: (err as Error).message }, err);
  }
  const values = conf.getProperties() as SpangateConfig;
  const crossProblems = validateCrossKeys(values);
  if (crossProblems.length > 0) throw configError(file, crossProblems);
  return deepFreeze(values);
}

/** The defaults alone (no file, no environment). */
export function defaultConfig(): SpangateConfig {
  return loadConfigObject({}, { env: {} });
}

function configError(file: string | undefined, problems: Problem | Problem[], cause?: unknown, source?: string): ConfigError {
  const list = Array.isArray(problems) ? problems : [problems];
  const where = source ?? file ?? 'config';
  const lines = list.map((p) => `${where}: ${p.path}: ${p.reason}`);
  return new ConfigError(lines.join('\n'), { file, path: list[0]!.path, reason: list[0]!.reason, cause });
}
