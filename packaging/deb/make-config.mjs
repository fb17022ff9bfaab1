// Build-time helper for packaging/deb/build.sh.
//   node make-config.mjs REPO OVERRIDES.json   prints the packaged /etc/spangate/spangate.json:
//     the schema's example config (`spangate config example`) with the packaging overrides
//     merged in; override keys the schema does not have are dropped, so the file stays valid.
//   node make-config.mjs --drain-seconds FILE   prints the drain limit of a config, in seconds.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DEFAULT_DRAIN_S = 30;

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

/** Drain limit from the config: the first key path found, in seconds (ms keys converted). */
function drainSeconds(cfg) {
  const candidates = [
    ['drain', 'timeoutMs', 1000], ['drain', 'timeout_ms', 1000], ['drain', 'timeout', 1],
    ['daemon', 'drainTimeoutMs', 1000], ['daemon', 'drainMs', 1000], ['daemon', 'drainSeconds', 1],
    ['shutdown', 'drainTimeoutMs', 1000], ['shutdown', 'drainMs', 1000], ['shutdown', 'drainSeconds', 1],
  ];
  for (const [a, b, div] of candidates) {
    const v = cfg?.[a]?.[b];
    if (typeof v === 'number' && v >= 0) return Math.ceil(v / div);
  }
  return DEFAULT_DRAIN_S;
}

const args = process.argv.slice(2);
if (args[0] === '--drain-seconds') {
  process.stdout.write(`${drainSeconds(JSON.parse(readFileSync(args[1], 'utf8')))}\n`);
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
