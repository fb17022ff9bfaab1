// Every command and subcommand answers --help (exit 0); bad arguments exit 2 with a message.
import t from 'tap';
import { runCli } from '../fixtures/daemon.js';

const COMMANDS = [
  [], ['run'], ['demo'], ['status'], ['version'], ['config'],
  ['config', 'validate'], ['config', 'show'], ['config', 'example'], ['config', 'set'],
  ['config', 'reload'], ['config', 'diff'], ['config', 'history'],
];

t.test('--help on every command', async (t) => {
  const results = await Promise.all(COMMANDS.map((c) => runCli([...c, '--help'])));
  COMMANDS.forEach((c, i) => {
    const r = results[i]!;
    const name = ['spangate', ...c].join(' ');
    t.equal(r.code, 0, `${name} --help exits 0`);
    t.match(r.stdout, new RegExp(`^Usage: ${name}`), `${name} --help prints usage`);
  });
  t.match(results[0]!.stdout, /run \[options\][\s\S]*demo[\s\S]*status[\s\S]*version[\s\S]*config/);
  t.match(results[5]!.stdout, /validate <file>[\s\S]*show[\s\S]*example[\s\S]*set \[options\] <key> <value>[\s\S]*diff/);
});

t.test('bad arguments exit 2 with a clear message', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /Usage: spangate/],
    [['bogus'], /unknown command 'bogus'/],
    [['status', '--bogus'], /unknown option '--bogus'/],
    [['status', '--timeout', 'soon'], /option '-t, --timeout <ms>' argument 'soon' is invalid\. must be a whole number of milliseconds/],
    [['config', 'set', 'log.level'], /missing required argument 'value'/],
    [['config', 'validate'], /missing required argument 'file'/],
    [['version', 'extra'], /too many arguments/],
    [['run', '--config'], /option '-c, --config <file>' argument missing/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  cases.forEach(([args, re], i) => {
    const r = results[i]!;
    t.equal(r.code, 2, `spangate ${args.join(' ')} exits 2`);
    t.match(r.stderr, re, `spangate ${args.join(' ')} says why`);
  });
});

t.test('version', async (t) => {
  const r = await runCli(['version']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^spangate \d+\.\d+\.\d+\n  node v20\.\d+\.\d+\n  libspangate \d+\.\d+\.\d+ \(ABI 1\)/);
  const j = await runCli(['version', '--json']);
  t.match(JSON.parse(j.stdout), { node: process.version, native: { abi: 1 } });
  const v = await runCli(['--version']);
  t.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});
