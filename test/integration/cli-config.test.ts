// The config commands from the command line: validate (exit 2 with file, key, reason), example,
// show (env overrides, redaction), set (atomic, previous version kept), diff and history.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, runCli } from '../fixtures/daemon.js';
import { tmpDir } from '../fixtures/tmp.js';

t.test('validate', async (t) => {
  const dir = tmpDir(t);
  const good = await runCli(['config', 'validate', join(ROOT, 'configs/spangate.example.json')]);
  t.equal(good.code, 0, good.stderr);
  t.match(good.stdout, /spangate\.example\.json: ok/);

  const cases: [string, string, RegExp][] = [
    ['unknown.json', '{"metrics": {"prot": 9100}}', /unknown\.json: metrics\.prot: unknown key \(section metrics has: enabled, address, port\)/],
    ['type.json', '{"daemon": {"drainTimeoutMs": "30s"}}', /type\.json: daemon\.drainTimeoutMs: must be a whole number of milliseconds \(got "30s"\)/],
    ['syntax.json', '{"daemon": ', /syntax\.json: \(file\): not valid JSON/],
    ['cross.json', '{"daemon": {"pidFile": "/run/x/a"}, "admin": {"socket": "/run/x/a"}}', /cross\.json: admin\.socket: must differ from daemon\.pidFile/],
  ];
  for (const [name, text, re] of cases) {
    const file = join(dir, name);
    writeFileSync(file, text);
    const r = await runCli(['config', 'validate', file]);
    t.equal(r.code, 2, name);
    t.match(r.stderr, /^spangate: config error:/, name);
    t.match(r.stderr, re, name);
  }
  const missing = await runCli(['config', 'validate', join(dir, 'missing.json')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /missing\.json: \(file\): no such file/);
});

t.test('example prints the committed example and key reference', async (t) => {
  const r = await runCli(['config', 'example']);
  t.equal(r.stdout, readFileSync(join(ROOT, 'configs/spangate.example.json'), 'utf8'));
  const d = await runCli(['config', 'example', '--docs']);
  t.equal(d.stdout, readFileSync(join(ROOT, 'configs/CONFIG.md'), 'utf8'));
});

t.test('show applies environment overrides; bad ones exit 2 naming the variable', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(file, '{"metrics": {"port": 9100}}');
  const r = await runCli(['config', 'show', '--config', file], { SPANGATE_METRICS_PORT: '9200', SPANGATE_LOG_LEVEL: 'debug' });
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { metrics: { port: 9200 }, log: { level: 'debug' } });
  const viaEnvFile = await runCli(['config', 'show'], { SPANGATE_CONFIG: file });
  t.match(JSON.parse(viaEnvFile.stdout), { metrics: { port: 9100 } }, 'SPANGATE_CONFIG names the file');
  const bad = await runCli(['config', 'show', '--config', file], { SPANGATE_METRICS_ENABLED: 'perhaps' });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /metrics\.enabled: from environment variable SPANGATE_METRICS_ENABLED: must be true or false/);
});

t.test('set, history and diff against defaults', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'spangate.json');
  writeFileSync(file, '{"log": {"level": "info"}}\n');
  const before = readFileSync(file, 'utf8');

  const refused = await runCli(['config', 'set', 'metrics.port', '99999', '--config', file]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /spangate\.json: metrics\.port: must be a port number between 0 and 65535 \(got 99999\)/);
  t.equal(readFileSync(file, 'utf8'), before, 'refused value leaves the file as it was');

  const unknown = await runCli(['config', 'set', 'metrics.prot', '1', '--config', file]);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /metrics\.prot: unknown key/);

  const ok = await runCli(['config', 'set', 'metrics.port', '9100', '--config', file]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /metrics\.port = 9100/);
  t.match(ok.stdout, /previous version kept at .*spangate\.json\.history\/spangate\.json\./);
  t.match(ok.stdout, /only after a restart/);
  t.same(JSON.parse(readFileSync(file, 'utf8')), { log: { level: 'info' }, metrics: { port: 9100 } });
  t.same(readdirSync(dir).sort(), ['spangate.json', 'spangate.json.history'], 'no temporary file left');

  const hist = await runCli(['config', 'history', '--config', file]);
  t.equal(hist.stdout.trim().split('\n').length, 1);
  t.equal(readFileSync(hist.stdout.trim(), 'utf8'), before);

  const diff = await runCli(['config', 'diff', '--defaults', '--config', file]);
  t.equal(diff.code, 0, diff.stderr);
  t.match(diff.stdout, /metrics\.port: 9478 -> 9100 {2}\(restart\)/);
  const json = await runCli(['config', 'diff', '--defaults', '--config', file, '--json']);
  t.same(JSON.parse(json.stdout).changes, [{ path: 'metrics.port', from: 9478, to: 9100, reloadable: false }]);

  const live = await runCli(['config', 'diff', '--config', file, '--socket', join(dir, 'none.sock')]);
  t.equal(live.code, 3, 'diff against a daemon that is not running');
  t.match(live.stderr, /daemon is not running \(no socket at/);
});
