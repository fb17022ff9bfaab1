// The config commands through bin/spangate: a bad file exits 2 naming file, key and reason;
// environment overrides apply (and a bad one names the variable); set keeps the previous file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../fixtures/daemon.js';
import { tmpDir } from '../fixtures/tmp.js';

t.test('validate, show with environment overrides, set', async (t) => {
  const dir = tmpDir(t);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"metrics": {"port": "9100"}}');
  const file = join(dir, 'c.json');
  writeFileSync(file, '{"metrics": {"port": 9100}}\n');
  const [invalid, shown, viaEnvFile, badEnv] = await Promise.all([
    runCli(['config', 'validate', bad]),
    runCli(['config', 'show', '--config', file], { SPANGATE_METRICS_PORT: '9200', SPANGATE_LOG_LEVEL: 'debug' }),
    runCli(['config', 'show'], { SPANGATE_CONFIG: file }),
    runCli(['config', 'show', '--config', file], { SPANGATE_METRICS_ENABLED: 'perhaps' }),
  ]);
  t.equal(invalid.code, 2);
  t.match(invalid.stderr, `spangate: config error:\n  ${bad}: metrics.port: must be a port number (got "9100")`);
  t.equal(shown.code, 0, shown.stderr);
  t.match(JSON.parse(shown.stdout), { metrics: { port: 9200 }, log: { level: 'debug' } });
  t.match(JSON.parse(viaEnvFile.stdout), { metrics: { port: 9100 } }, 'SPANGATE_CONFIG names the file');
  t.equal(badEnv.code, 2);
  t.match(badEnv.stderr, /metrics\.enabled: from environment variable SPANGATE_METRICS_ENABLED: must be true or false/);

  const before = readFileSync(file, 'utf8');
  const set = await runCli(['config', 'set', 'log.subsystems.sip', 'debug', '--config', file]);
  t.equal(set.code, 0, set.stderr);
  const kept = /previous version kept at (\S+)/.exec(set.stdout)?.[1];
  t.ok(kept);
  t.equal(readFileSync(kept!, 'utf8'), before);
  t.same(JSON.parse(readFileSync(file, 'utf8')), { metrics: { port: 9100 }, log: { subsystems: { sip: 'debug' } } });
});
