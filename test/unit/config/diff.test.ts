import t from 'tap';
import { applyReloadable, diffConfigs, redact, REDACTED } from '../../../src/config/diff.js';
import { defaultConfig, loadConfigObject } from '../../../src/config/load.js';

const secretSchema = {
  sip: {
    password: { doc: 'a secret for the test', format: 'file-mode', default: '', env: 'SPANGATE_T_PW', reloadable: true, sensitive: true },
    port: { doc: 'a port for the test', format: 'tcp-port', default: 5060, env: 'SPANGATE_T_PORT', reloadable: false },
  },
};

t.test('diff lists changed keys with their reload behaviour', async (t) => {
  const a = defaultConfig();
  const b = loadConfigObject({ metrics: { port: 9100 }, log: { level: 'debug' } }, { env: {} });
  t.same(diffConfigs(a, b), [
    { path: 'log.level', from: 'info', to: 'debug', reloadable: true },
    { path: 'metrics.port', from: 9478, to: 9100, reloadable: false },
  ]);
  t.same(diffConfigs(a, a), []);
});

t.test('secrets are redacted in display and diffs', async (t) => {
  const cfg = { sip: { password: 'hunter2', port: 5060 } };
  t.same(redact(cfg, secretSchema), { sip: { password: REDACTED, port: 5060 } });
  t.same(redact({ sip: { password: '', port: 1 } }, secretSchema), { sip: { password: '', port: 1 } }, 'empty stays empty');
  t.equal(cfg.sip.password, 'hunter2', 'original untouched');
  const d = diffConfigs(cfg, { sip: { password: 'other', port: 5060 } }, secretSchema);
  t.same(d, [{ path: 'sip.password', from: REDACTED, to: REDACTED, reloadable: true }]);
});

t.test('reload applies reloadable keys and keeps restart-required ones', async (t) => {
  const running = defaultConfig();
  const next = loadConfigObject({ metrics: { port: 9100 }, daemon: { drainTimeoutMs: 1000 } }, { env: {} });
  const r = applyReloadable(running, next);
  t.same(r.applied, ['daemon.drainTimeoutMs']);
  t.same(r.pending, ['metrics.port']);
  t.equal(r.config.daemon.drainTimeoutMs, 1000);
  t.equal(r.config.metrics.port, 9478, 'restart-required key keeps the running value');
});

t.test('passwords inside trunk lists are redacted in display and diffs', async (t) => {
  const trunkSchema = {
    sip: {
      trunks: { doc: 'trunks for the test', format: 'sip-trunks', default: {}, env: 'SPANGATE_T_TRUNKS', reloadable: true },
    },
  };
  const cfg = { sip: { trunks: { uc: { host: 'uc.example', authUsername: 'gw', authPassword: 'hunter2' } } } };
  const shown = redact(cfg, trunkSchema);
  t.same(shown, { sip: { trunks: { uc: { host: 'uc.example', authUsername: 'gw', authPassword: REDACTED } } } });
  t.equal(cfg.sip.trunks.uc.authPassword, 'hunter2', 'original untouched');
  const d = diffConfigs(cfg, { sip: { trunks: { uc: { host: 'uc2.example', authUsername: 'gw', authPassword: 'other' } } } }, trunkSchema);
  t.equal(d.length, 1);
  t.notMatch(JSON.stringify(d), /hunter2|other/, 'neither password appears in the diff');
  t.match(JSON.stringify(d), /uc2\.example/, 'the rest of the change is shown');
});
