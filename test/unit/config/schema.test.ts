import t from 'tap';
import { checkSchema } from '../../../src/config/validate.js';
import { listKeys } from '../../../src/config/keys.js';
import { defaultConfig } from '../../../src/config/load.js';

t.test('every key has doc, format, default, env and reloadable; env names are unique', async (t) => {
  t.same(checkSchema(), []);
  const keys = listKeys();
  t.ok(keys.length >= 12);
  for (const { path, spec } of keys) {
    t.type(spec.reloadable, 'boolean', `${path} reloadable`);
    t.ok(spec.format, `${path} format`);
    t.not(spec.default, undefined, `${path} default`);
  }
});

t.test('the core sections are present', async (t) => {
  const paths = listKeys().map((k) => k.path);
  for (const p of ['daemon.pidFile', 'daemon.stateDir', 'daemon.drainTimeoutMs', 'admin.socket', 'admin.requestTimeoutMs',
    'log.level', 'log.subsystems', 'metrics.enabled', 'metrics.address', 'metrics.port']) {
    t.ok(paths.includes(p), p);
  }
});

t.test('checkSchema catches a broken section', async (t) => {
  const broken = {
    a: { x: { doc: 'short', format: 'tcp-port', default: 99999, env: 'NOT_OURS', reloadable: true } },
    b: { y: { doc: 'a fine doc string', format: 'tcp-port', default: 1, env: 'SPANGATE_Y', reloadable: true },
      z: { doc: 'a fine doc string', format: 'tcp-port', default: 1, env: 'SPANGATE_Y', reloadable: 'yes' as unknown as boolean } },
  };
  const errors = checkSchema(broken);
  t.match(errors.join('\n'), /a\.x: doc missing or too short/);
  t.match(errors.join('\n'), /a\.x: env must be SPANGATE_\*/);
  t.match(errors.join('\n'), /a\.x: default fails its own format/);
  t.match(errors.join('\n'), /b\.z: env SPANGATE_Y also used by b\.y/);
  t.match(errors.join('\n'), /b\.z: reloadable must be true or false/);
});

t.test('defaults load and are frozen', async (t) => {
  const cfg = defaultConfig();
  t.equal(cfg.log.level, 'info');
  t.ok(Object.isFrozen(cfg));
  t.ok(Object.isFrozen(cfg.daemon));
  t.ok(Object.isFrozen(cfg.log.subsystems));
});
