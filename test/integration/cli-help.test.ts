// The installed entry point (bin/spangate) runs the program with the right exit codes. The
// full command tree is checked in-process in test/unit/cli/program.test.ts.
import t from 'tap';
import { runCli } from '../fixtures/daemon.js';

t.test('bin/spangate: help, bad arguments, version', async (t) => {
  const [help, sub, bad, missing, version] = await Promise.all([
    runCli(['--help']),
    runCli(['config', 'set', '--help']),
    runCli(['bogus']),
    runCli(['config', 'set', 'log.level']),
    runCli(['version']),
  ]);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: spangate/);
  t.equal(sub.code, 0);
  t.match(sub.stdout, /^Usage: spangate config set \[options\] <key> <value>/);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /unknown command 'bogus'/);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /missing required argument 'value'/);
  t.equal(version.code, 0);
  t.match(version.stdout, /^spangate \d+\.\d+\.\d+\n {2}node v20/);
});
