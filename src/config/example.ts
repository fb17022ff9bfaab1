// The example config file and the key reference, generated from the schema.
import { listKeys } from './keys.js';
import { setPath } from './keys.js';
import { schema } from './schema.js';
import type { SchemaSection } from './schema/key.js';

/** configs/spangate.example.json: every key at its default, in schema order. */
export function exampleConfigJson(root: SchemaSection = schema): string {
  const out: Record<string, unknown> = {};
  for (const { path, spec } of listKeys(root)) setPath(out, path, spec.default);
  return `${JSON.stringify(out, null, 2)}\n`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** configs/CONFIG.md: one row per key with its env name, default, reload behaviour and doc. */
export function configReferenceMarkdown(root: SchemaSection = schema): string {
  const lines = [
    '# spangate configuration keys',
    '',
    'Generated from the schema (`src/config/schema/`) by `spangate config example --docs`; do not edit.',
    'The file is `--config FILE`, else `$SPANGATE_CONFIG`, else `/etc/spangate/spangate.json` (if present).',
    'Precedence: defaults < config file < environment. "reload" means a running daemon applies a new',
    'value on SIGHUP or `spangate config set --reload`; "restart" keys need a daemon restart.',
    '',
    '| key | env | default | on change | description |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const { path, spec } of listKeys(root)) {
    const def = spec.sensitive ? '(secret)' : `\`${JSON.stringify(spec.default)}\``;
    const fmt = Array.isArray(spec.format) ? spec.format.join(' / ') : String(spec.format);
    lines.push(
      `| \`${path}\` | \`${spec.env}\` | ${cell(def)} | ${spec.reloadable ? 'reload' : 'restart'} | ${cell(spec.doc)} (${cell(fmt)}) |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
