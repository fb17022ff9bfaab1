// spangate CLI: placeholder until the foundation issue grows it (run, status, config, version).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(resolve(here, '../../package.json'), 'utf8')) as { version: string };

const cmd = process.argv[2];
if (cmd === 'version' || cmd === '--version') {
  process.stdout.write(`spangate ${pkg.version}\n`);
} else {
  process.stderr.write('usage: spangate version\n');
  process.exitCode = 2;
}
