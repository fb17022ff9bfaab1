import t from 'tap';
import { FORMATS, formatCheck, formatCoerce, MAX_SOCKET_PATH } from '../../../src/config/formats.js';

const ok = (format: unknown, v: unknown): boolean => {
  try {
    formatCheck(format)(v);
    return true;
  } catch {
    return false;
  }
};

t.test('paths', async (t) => {
  t.ok(ok('abs-path', '/var/lib/spangate'));
  t.notOk(ok('abs-path', 'relative/dir'));
  t.notOk(ok('abs-path', ''));
  t.notOk(ok('abs-path', 42));
  t.notOk(ok('abs-path', '/a\0b'));
  t.ok(ok('socket-path', '/run/spangate/admin.sock'));
  t.notOk(ok('socket-path', `/${'x'.repeat(MAX_SOCKET_PATH)}`), 'too long for sun_path');
});

t.test('numbers are numbers in files and coerced from env strings', async (t) => {
  t.ok(ok('duration-ms', 0));
  t.ok(ok('duration-ms', 30000));
  t.notOk(ok('duration-ms', -1));
  t.notOk(ok('duration-ms', 1.5));
  t.notOk(ok('duration-ms', '30000'), 'a string is a wrong type in a file');
  t.equal(formatCoerce('duration-ms', '30000'), 30000);
  t.equal(formatCoerce('duration-ms', 'soon'), 'soon', 'unparseable env text stays text and fails the check');
  t.ok(ok('tcp-port', 0));
  t.ok(ok('tcp-port', 65535));
  t.notOk(ok('tcp-port', 65536));
  t.equal(formatCoerce('tcp-port', ' 9100 '), 9100);
});

t.test('addresses, booleans, modes', async (t) => {
  t.ok(ok('ip-address', '127.0.0.1'));
  t.ok(ok('ip-address', '::1'));
  t.notOk(ok('ip-address', 'localhost'));
  t.ok(ok('boolean', false));
  t.notOk(ok('boolean', 'false'));
  t.equal(formatCoerce('boolean', 'off'), false);
  t.equal(formatCoerce('boolean', 'TRUE'), true);
  t.equal(formatCoerce('boolean', 'maybe'), 'maybe');
  t.ok(ok('file-mode', '0660'));
  t.ok(ok('file-mode', '600'));
  t.notOk(ok('file-mode', '0999'));
  t.notOk(ok('file-mode', 432));
});

t.test('log levels and level maps', async (t) => {
  t.ok(ok('log-level', 'debug'));
  t.notOk(ok('log-level', 'verbose'));
  t.ok(ok('log-level-map', { sip: 'debug', 'media-engine': 'warn' }));
  t.notOk(ok('log-level-map', { sip: 'loud' }));
  t.notOk(ok('log-level-map', { 'Bad Name': 'info' }));
  t.notOk(ok('log-level-map', ['sip']));
  t.same(formatCoerce('log-level-map', 'sip=debug, media=warn'), { sip: 'debug', media: 'warn' });
  t.same(formatCoerce('log-level-map', '{"sip":"trace"}'), { sip: 'trace' });
  t.equal(formatCoerce('log-level-map', 'sip'), 'sip', 'malformed env text fails the check');
});

t.test('enumerations and unknown formats', async (t) => {
  t.ok(ok(['a', 'b'], 'a'));
  t.notOk(ok(['a', 'b'], 'c'));
  t.throws(() => formatCheck('no-such-format'), /unknown config format/);
  t.ok(Object.keys(FORMATS).length >= 8);
});

t.test('reasons name the bad value', async (t) => {
  t.throws(() => formatCheck('tcp-port')(70000), /must be a port number between 0 and 65535 \(got 70000\)/);
});
