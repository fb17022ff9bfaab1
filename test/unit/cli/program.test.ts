// The command tree in-process: --help on every command, bad arguments (exit 2), and the
// offline config commands. test/integration/cli-*.test.ts run the real binary for a few.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { cli } from '../../fixtures/cli.js';
import { tmpDir } from '../../fixtures/tmp.js';

const root = resolve(import.meta.dirname, '../../..');

const COMMANDS = [
  [], ['run'], ['demo'], ['status'], ['version'], ['config'],
  ['config', 'validate'], ['config', 'show'], ['config', 'example'], ['config', 'set'], ['config', 'unset'],
  ['config', 'reload'], ['config', 'diff'], ['config', 'history'],
];

t.test('--help on every command', async (t) => {
  for (const c of COMMANDS) {
    const name = ['spangate', ...c].join(' ');
    const r = await cli([...c, '--help']);
    t.equal(r.code, 0, `${name} --help exits 0`);
    t.match(r.stdout, new RegExp(`^Usage: ${name}`), `${name} --help prints usage`);
  }
  const top = await cli(['--help']);
  t.match(top.stdout, /run \[options\][\s\S]*demo[\s\S]*status[\s\S]*version[\s\S]*config/);
  const config = await cli(['config', '--help']);
  t.match(config.stdout, /validate <file>[\s\S]*show[\s\S]*example[\s\S]*set \[options\] <key> <value>[\s\S]*reload[\s\S]*diff[\s\S]*history/);
  const help = await cli(['help', 'status']);
  t.match(help.stdout, /^Usage: spangate status/);
});

t.test('bad arguments exit 2 with a clear message', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /Usage: spangate/],
    [['bogus'], /unknown command 'bogus'/],
    [['status', '--bogus'], /unknown option '--bogus'/],
    [['status', '--timeout', 'soon'], /option '-t, --timeout <ms>' argument 'soon' is invalid\. must be a whole number of milliseconds/],
    [['config', 'set', 'log.level'], /missing required argument 'value'/],
    [['config', 'validate'], /missing required argument 'file'/],
    [['config', 'bogus'], /unknown command 'bogus'/],
    [['version', 'extra'], /too many arguments/],
    [['run', '--config'], /option '-c, --config <file>' argument missing/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    t.equal(r.code, 2, `spangate ${args.join(' ')} exits 2`);
    t.match(r.stderr, re, `spangate ${args.join(' ')} says why`);
  }
});

t.test('version', async (t) => {
  const r = await cli(['version']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^spangate \d+\.\d+\.\d+\n {2}node v20\.\d+\.\d+\n {2}libspangate \d+\.\d+\.\d+ \(ABI 1\)/);
  const j = await cli(['version', '--json']);
  t.match(JSON.parse(j.stdout), { node: process.version, native: { abi: 1 } });
  const v = await cli(['--version']);
  t.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});

t.test('config validate: exit 2 with file, key path and reason', async (t) => {
  const dir = tmpDir(t);
  const good = await cli(['config', 'validate', join(root, 'configs/spangate.example.json')]);
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
    const r = await cli(['config', 'validate', file]);
    t.equal(r.code, 2, name);
    t.match(r.stderr, /^spangate: config error:/, name);
    t.match(r.stderr, re, name);
  }
  const missing = await cli(['config', 'validate', join(dir, 'missing.json')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /missing\.json: \(file\): no such file/);
});

t.test('config example prints the committed example and key reference', async (t) => {
  t.equal((await cli(['config', 'example'])).stdout, readFileSync(join(root, 'configs/spangate.example.json'), 'utf8'));
  t.equal((await cli(['config', 'example', '--docs'])).stdout, readFileSync(join(root, 'configs/CONFIG.md'), 'utf8'));
});

t.test('config set, history, show and diff against defaults', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'spangate.json');
  writeFileSync(file, '{"log": {"level": "info"}}\n');
  const before = readFileSync(file, 'utf8');

  const refused = await cli(['config', 'set', 'metrics.port', '99999', '--config', file]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /spangate\.json: metrics\.port: must be a port number between 0 and 65535 \(got 99999\)/);
  t.equal(readFileSync(file, 'utf8'), before, 'refused value leaves the file as it was');
  const unknown = await cli(['config', 'set', 'metrics.prot', '1', '--config', file]);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /metrics\.prot: unknown key/);

  const ok = await cli(['config', 'set', 'metrics.port', '9100', '--config', file]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /metrics\.port = 9100/);
  t.match(ok.stdout, /previous version kept at .*spangate\.json\.history\/spangate\.json\./);
  t.match(ok.stdout, /only after a restart/);
  t.same(JSON.parse(readFileSync(file, 'utf8')), { log: { level: 'info' }, metrics: { port: 9100 } });
  t.same(readdirSync(dir).sort(), ['spangate.json', 'spangate.json.history'], 'no temporary file left');
  const again = await cli(['config', 'set', 'metrics.port', '9100', '--config', file]);
  t.match(again.stdout, /nothing written/);

  const unsetMissing = await cli(['config', 'unset', 'log.subsystems.sip', '--config', file]);
  t.match(unsetMissing.stdout, /is not set .*nothing written/);

  const hist = await cli(['config', 'history', '--config', file]);
  t.equal(hist.stdout.trim().split('\n').length, 1);
  t.equal(readFileSync(hist.stdout.trim(), 'utf8'), before);
  const none = await cli(['config', 'history', '--config', join(dir, 'other.json')]);
  t.match(none.stdout, /no previous versions/);

  const show = await cli(['config', 'show', '--config', file]);
  t.match(JSON.parse(show.stdout), { metrics: { port: 9100 }, log: { level: 'info' } });

  const diff = await cli(['config', 'diff', '--defaults', '--config', file]);
  t.equal(diff.code, 0, diff.stderr);
  t.match(diff.stdout, /metrics\.port: 9478 -> 9100 {2}\(restart\)/);
  const json = await cli(['config', 'diff', '--defaults', '--config', file, '--json']);
  t.same(JSON.parse(json.stdout).changes, [{ path: 'metrics.port', from: 9478, to: 9100, reloadable: false }]);

  const unset = await cli(['config', 'unset', 'metrics.port', '--config', file]);
  t.equal(unset.code, 0, unset.stderr);
  t.match(unset.stdout, /metrics\.port removed \(now 9478\)/);
  t.same(JSON.parse(readFileSync(file, 'utf8')), { log: { level: 'info' } });
  const unsetBad = await cli(['config', 'unset', 'metrics', '--config', file]);
  t.equal(unsetBad.code, 2);
  t.match(unsetBad.stderr, /metrics: is a section/);

  const live = await cli(['config', 'diff', '--config', file, '--socket', join(dir, 'none.sock')]);
  t.equal(live.code, 3, 'diff against a daemon that is not running');
  t.match(live.stderr, /daemon is not running \(no socket at/);
});
