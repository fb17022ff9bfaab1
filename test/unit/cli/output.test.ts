import t from 'tap';
import { EXIT, report, indent } from '../../../src/cli/output.js';
import { AdminError, ConfigError, DaemonError, NativeError, TimeoutError } from '../../../src/errors.js';

function capture(fn: () => number): { code: number; text: string } {
  const orig = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: fn(), text };
  } finally {
    process.stderr.write = orig;
  }
}

t.test('exit codes by error class, never by message', async (t) => {
  const cases: [unknown, number, RegExp][] = [
    [new ConfigError('f.json: a.b: bad\nf.json: c: worse', { file: 'f.json', path: 'a.b' }), EXIT.usage, /^spangate: config error:\n {2}f\.json: a\.b: bad\n {2}f\.json: c: worse/],
    [new AdminError('daemon is not running (no socket at /x)', 'not-running'), EXIT.notRunning, /^spangate: daemon is not running/],
    [new AdminError('f: k: r', 'remote', { remoteCode: 'ECONFIG' }), EXIT.usage, /refused the config and keeps its running one/],
    [new AdminError('boom', 'remote', { remoteCode: 'EINTERNAL' }), EXIT.failure, /^spangate: boom/],
    [new AdminError('permission denied on admin socket /x', 'permission'), EXIT.failure, /permission denied/],
    [new TimeoutError('slow', 5), EXIT.failure, /^spangate: slow/],
    [new DaemonError('locked', 'locked'), EXIT.failure, /^spangate: locked/],
    [new NativeError('no lib'), EXIT.failure, /^spangate: no lib/],
    [new Error('bug'), EXIT.failure, /^spangate: internal error: Error: bug/],
  ];
  for (const [e, code, re] of cases) {
    const r = capture(() => report(e));
    t.equal(r.code, code, String((e as Error).message));
    t.match(r.text, re);
  }
  t.equal(indent('a\nb'), '  a\n  b');
});
