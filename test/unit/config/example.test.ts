// The committed example config and key reference must match the schema. When this fails, run:
//   ./bin/spangate config example > configs/spangate.example.json
//   ./bin/spangate config example --docs > configs/CONFIG.md
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import { configReferenceMarkdown, exampleConfigJson } from '../../../src/config/example.js';
import { loadConfig } from '../../../src/config/load.js';
import { listKeys } from '../../../src/config/keys.js';

const root = resolve(import.meta.dirname, '../../..');
const REGEN = 'regenerate with: ./bin/spangate config example > configs/spangate.example.json; ./bin/spangate config example --docs > configs/CONFIG.md';

t.test('configs/spangate.example.json matches the schema', async (t) => {
  const committed = readFileSync(resolve(root, 'configs/spangate.example.json'), 'utf8');
  t.equal(committed, exampleConfigJson(), `example config drifted from the schema; ${REGEN}`);
});

t.test('configs/CONFIG.md matches the schema', async (t) => {
  const committed = readFileSync(resolve(root, 'configs/CONFIG.md'), 'utf8');
  t.equal(committed, configReferenceMarkdown(), `key reference drifted from the schema; ${REGEN}`);
});

t.test('the example is a valid config naming every key', async (t) => {
  const file = resolve(root, 'configs/spangate.example.json');
  t.doesNotThrow(() => loadConfig(file, { env: {} }));
  const text = readFileSync(file, 'utf8');
  for (const { path } of listKeys()) t.match(text, `"${path.split('.').pop()}"`, path);
});

t.test('a schema change shows up as drift', async (t) => {
  const section = { s: { k: { doc: 'a test key only', format: 'tcp-port', default: 1, env: 'SPANGATE_K', reloadable: true } } };
  t.not(exampleConfigJson(section), exampleConfigJson());
  t.match(configReferenceMarkdown(section), /\| `s\.k` \| `SPANGATE_K` \| `1` \| reload \|/);
});
