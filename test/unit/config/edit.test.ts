import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { HISTORY_KEEP, listHistory, parseValue, setConfigKey, unsetConfigKey } from '../../../src/config/edit.js';
import { ConfigError } from '../../../src/errors.js';
import { tmpDir } from '../../fixtures/tmp.js';

t.test('set writes the new value, keeps the previous version, leaves no temporary file', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'spangate.json');
  writeFileSync(file, `${JSON.stringify({ log: { level: 'info' } })}\n`);
  chmodSync(file, 0o600);
  const before = readFileSync(file, 'utf8');
  const r = setConfigKey(file, 'daemon.drainTimeoutMs', '12000');
  t.ok(r.changed);
  t.equal(r.reloadable, true);
  t.equal(r.config.daemon.drainTimeoutMs, 12000);
  t.same(JSON.parse(readFileSync(file, 'utf8')), { log: { level: 'info' }, daemon: { drainTimeoutMs: 12000 } });
  t.ok(r.previous && existsSync(r.previous));
  t.equal(readFileSync(r.previous!, 'utf8'), before, 'previous version is the old file, byte for byte');
  t.equal(statSync(file).mode & 0o777, 0o600, 'file mode kept');
  t.same(readdirSync(dir).sort(), ['spangate.json', 'spangate.json.history']);
});

t.test('a bad value or key is refused and the file is not touched', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'spangate.json');
  writeFileSync(file, '{"metrics": {"port": 9100}, "daemon": {"pidFile": "/tmp/x.pid"}}\n');
  const before = readFileSync(file, 'utf8');
  for (const [key, value, path] of [
    ['metrics.port', '70000', 'metrics.port'],
    ['metrics.port', 'http', 'metrics.port'],
    ['metrics.prot', '1', 'metrics.prot'],
    ['metrics', '1', 'metrics'],
    ['log.level', 'loud', 'log.level'],
    ['metrics.port.x', '1', 'metrics.port.x'],
    ['admin.socket', '/tmp/x.pid', 'admin.socket'],
  ] as const) {
    t.throws(() => setConfigKey(file, key, value), ConfigError, `${key}=${value}`);
    try {
      setConfigKey(file, key, value);
    } catch (err) {
      t.equal((err as ConfigError).path, path);
      t.equal((err as ConfigError).file, file);
    }
  }
  t.equal(readFileSync(file, 'utf8'), before);
  t.same(listHistory(file), [], 'nothing kept, nothing written');
  t.same(readdirSync(dir), ['spangate.json'], 'no temporary files');
});

t.test('map sub-keys, strings, creating the file, no-op sets', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'sub', 'spangate.json');
  let r = setConfigKey(file, 'log.subsystems.sip', 'debug');
  t.ok(r.changed);
  t.equal(r.previous, undefined, 'nothing to keep for a new file');
  r = setConfigKey(file, 'admin.socketMode', '0600');
  t.equal(r.reloadable, false);
  t.same(JSON.parse(readFileSync(file, 'utf8')), { log: { subsystems: { sip: 'debug' } }, admin: { socketMode: '0600' } });
  r = setConfigKey(file, 'admin.socketMode', '0600');
  t.notOk(r.changed);
  t.equal(listHistory(file).length, 1);
});

t.test('history keeps the newest versions only', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'spangate.json');
  writeFileSync(file, '{}\n');
  for (let i = 0; i < HISTORY_KEEP + 3; i++) setConfigKey(file, 'daemon.drainTimeoutMs', String(1000 + i));
  const kept = listHistory(file);
  t.equal(kept.length, HISTORY_KEEP);
  t.same(JSON.parse(readFileSync(kept[kept.length - 1]!, 'utf8')), { daemon: { drainTimeoutMs: 1000 + HISTORY_KEEP + 1 } });
});

t.test('values from the command line', async (t) => {
  t.equal(parseValue('42', 'tcp-port'), 42);
  t.equal(parseValue('true', 'boolean'), true);
  t.equal(parseValue('on', 'boolean'), true);
  t.equal(parseValue('0660', 'file-mode'), '0660');
  t.equal(parseValue('debug', 'log-level'), 'debug');
  t.same(parseValue('sip=debug', 'log-level-map'), { sip: 'debug' });
});

t.test('unset removes a key (and emptied sections), keeps the previous version', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'spangate.json');
  writeFileSync(file, '{"metrics": {"port": 9100}, "log": {"subsystems": {"sip": "debug", "media": "warn"}}}\n');
  const before = readFileSync(file, 'utf8');
  let r = unsetConfigKey(file, 'metrics.port');
  t.ok(r.changed);
  t.equal(r.config.metrics.port, 9478, 'default applies again');
  t.equal(readFileSync(r.previous!, 'utf8'), before);
  r = unsetConfigKey(file, 'log.subsystems.sip');
  t.same(JSON.parse(readFileSync(file, 'utf8')), { log: { subsystems: { media: 'warn' } } });
  r = unsetConfigKey(file, 'metrics.port');
  t.notOk(r.changed, 'absent key: nothing written');
  t.equal(listHistory(file).length, 2);
  t.throws(() => unsetConfigKey(file, 'metrics.prot'), { code: 'ECONFIG', path: 'metrics.prot', reason: 'unknown key' });
  t.throws(() => unsetConfigKey(join(dir, 'missing.json'), 'metrics.port'), { code: 'ECONFIG', reason: 'no such file' });
});
