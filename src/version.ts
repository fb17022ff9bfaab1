// The package version, read once from package.json (one level above src/ and dist/).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const VERSION: string = (
  JSON.parse(readFileSync(resolve(here, '../package.json'), 'utf8')) as { version: string }
).version;
