// Build-time helper for packaging/deb/build.sh.
//   node make-config.mjs REPO OVERRIDES.json   prints the packaged /etc/spangate/spangate.json:
//     the schema's example config (`spangate config example`) with the packaging overrides
//     merged in; override keys the schema does not have are dropped, so the file stays valid.
//   node make-config.mjs --stop-seconds FILE   prints drain + stop limits of a config, in seconds.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DEFAULT_DRAIN_MS = 30_000;
const DEFAULT_STOP_MS = 5_000;

function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

/** Copies override values onto base, but only at key paths base already has. */
function mergeKnown(base, over, path, dropped) {
  for (const [k, v] of Object.entries(over)) {
    if (!(k in base)) { dropped.push(path + k); continue; }
    if (isObject(v) && isObject(base[k])) mergeKnown(base[k], v, `${path}${k}.`, dropped);
    else base[k] = v;
  }
  return base;
}

/**
 * How long a stop may take, in whole seconds: daemon.drainTimeoutMs (active calls) plus
 * daemon.stopTimeoutMs (subsystems shutting down), schema defaults where the file has none.
 */
function stopSeconds(cfg) {
  const drain = cfg?.daemon?.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
  const stop = cfg?.daemon?.stopTimeoutMs ?? DEFAULT_STOP_MS;
  return Math.ceil((drain + stop) / 1000);
}

const args = process.argv.slice(2);
if (args[0] === '--stop-seconds') {
  process.stdout.write(`${stopSeconds(JSON.parse(readFileSync(args[1], 'utf8')))}\n`);
} else {
  const [repo, overridesFile] = args;
  let example = {};
  try {
    const out = execFileSync(process.execPath, [join(repo, 'bin/spangate'), 'config', 'example'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    example = JSON.parse(out);
  } catch {
    process.stderr.write('make-config: `spangate config example` not available; packaging the defaults ({})\n');
  }
  const dropped = [];
  const overrides = JSON.parse(readFileSync(overridesFile, 'utf8'));
  delete overrides.$comment;
  const cfg = mergeKnown(example, overrides, '', dropped);
  if (dropped.length && Object.keys(example).length) {
    process.stderr.write(`make-config: schema has no key(s) ${dropped.join(', ')}; left out\n`);
  }
  process.stdout.write(JSON.stringify(cfg, null, 2) + '\n');
}
