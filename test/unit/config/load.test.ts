import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig, loadConfigObject, resolveConfigFile, defaultConfigFile } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { tmpDir } from '../../fixtures/tmp.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

t.test('a good file overrides defaults', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ metrics: { port: 9100 }, log: { subsystems: { sip: 'debug' } } }));
  const cfg = loadConfig(file, { env: {} });
  t.equal(cfg.metrics.port, 9100);
  t.equal(cfg.metrics.address, '127.0.0.1', 'default kept');
  t.same(cfg.log.subsystems, { sip: 'debug' });
  t.ok(Object.isFrozen(cfg.metrics));
  t.throws(() => {
    (cfg.metrics as { port: number }).port = 1;
  }, TypeError);
});

t.test('a missing file, bad JSON, a non-object top level', async (t) => {
  const dir = tmpDir(t);
  let e = configError(() => loadConfig(join(dir, 'nope.json'), { env: {} }));
  t.equal(e.file, join(dir, 'nope.json'));
  t.equal(e.reason, 'no such file');
  t.match(e.message, /nope\.json: \(file\): no such file/);

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"daemon": {');
  e = configError(() => loadConfig(bad, { env: {} }));
  t.equal(e.file, bad);
  t.match(e.reason, /^not valid JSON/);

  writeFileSync(bad, '[1,2]');
  e = configError(() => loadConfig(bad, { env: {} }));
  t.equal(e.path, '(top level)');
});

t.test('unknown keys are refused with their path, at any depth', async (t) => {
  let e = configError(() => loadConfigObject({ deamon: {} }, { file: '/etc/x.json', env: {} }));
  t.equal(e.path, 'deamon');
  t.equal(e.file, '/etc/x.json');
  t.match(e.message, /^\/etc\/x\.json: deamon: unknown key \(the top level has: daemon, admin, log, metrics, sip, media, routing, cdr, tdm\)/);

  e = configError(() => loadConfigObject({ metrics: { prot: 1 } }, { file: '/etc/x.json', env: {} }));
  t.equal(e.path, 'metrics.prot');
  t.match(e.reason, /unknown key \(section metrics has: enabled, address, port\)/);
});

t.test('wrong types and values are refused with path and reason; all problems listed', async (t) => {
  const e = configError(() =>
    loadConfigObject({ metrics: { port: '9100', enabled: 'yes' }, daemon: 'x' }, { file: 'f.json', env: {} }),
  );
  t.equal(e.path, 'metrics.port');
  t.match(e.reason, /must be a port number/);
  t.match(e.message, /f\.json: metrics\.enabled: must be true or false \(got "yes"\)/);
  t.match(e.message, /f\.json: daemon: must be an object/);
});

t.test('environment overrides beat the file; a bad one names the variable', async (t) => {
  const cfg = loadConfigObject({ metrics: { port: 9100 } }, {
    env: { SPANGATE_METRICS_PORT: '9200', SPANGATE_LOG_SUBSYSTEMS: 'sip=trace', SPANGATE_METRICS_ENABLED: 'false' },
  });
  t.equal(cfg.metrics.port, 9200);
  t.same(cfg.log.subsystems, { sip: 'trace' });
  t.equal(cfg.metrics.enabled, false);

  const e = configError(() => loadConfigObject({}, { file: 'f.json', env: { SPANGATE_DRAIN_TIMEOUT_MS: 'ten' } }));
  t.equal(e.path, 'daemon.drainTimeoutMs');
  t.match(e.message, /^environment: daemon\.drainTimeoutMs: from environment variable SPANGATE_DRAIN_TIMEOUT_MS: must be a whole number/);
});

t.test('cross-key rules', async (t) => {
  let e = configError(() => loadConfigObject({ admin: { socket: '/run/x/a' }, daemon: { pidFile: '/run/x/a' } }, { env: {} }));
  t.equal(e.path, 'admin.socket');
  t.match(e.reason, /must differ from daemon\.pidFile/);
  e = configError(() => loadConfigObject({ admin: { requestTimeoutMs: 0 } }, { env: {} }));
  t.equal(e.path, 'admin.requestTimeoutMs');
  e = configError(() => loadConfigObject({ daemon: { stateDir: '/run/x', pidFile: '/run/x' } }, { env: {} }));
  t.equal(e.path, 'daemon.pidFile');
});

t.test('RTP port ranges of the managed rtpengine and the native engine must not overlap on one address', async (t) => {
  let e = configError(() => loadConfigObject({ media: { native: { portMin: 39000, portMax: 41000 } } }, { env: {} }));
  t.equal(e.path, 'media.native.portMin');
  t.match(e.reason, /39000-41000 overlaps media\.rtpengine\.portMin-portMax \(30000-39999\) on 127\.0\.0\.1/);
  e = configError(() => loadConfigObject({ tdm: { rtp: { portMin: 35000, portMax: 35999 } } }, { env: {} }));
  t.equal(e.path, 'tdm.rtp.portMin', 'the B-channel range defaults to the rtpengine interface');
  e = configError(() => loadConfigObject({ media: { native: { address: '0.0.0.0', portMin: 30000, portMax: 30099 } } }, { env: {} }));
  t.equal(e.path, 'media.native.portMin', 'a wildcard bind collides with every address');
  t.doesNotThrow(() => loadConfigObject({ media: { native: { address: '127.0.0.2', portMin: 30000, portMax: 30099 } } }, { env: {} }), 'other addresses may share port numbers');
  t.doesNotThrow(() => loadConfigObject({ media: { rtpengine: { mode: 'external' }, native: { portMin: 30000, portMax: 30099 } } }, { env: {} }), 'an external rtpengine\'s ports are its own business');
  t.doesNotThrow(() => loadConfigObject({}, { env: {} }), 'the defaults are apart');
});

t.test('which file is read', async (t) => {
  t.equal(defaultConfigFile({}), '/etc/spangate/spangate.json');
  t.equal(defaultConfigFile({ SPANGATE_CONFIG: '/x/y.json' }), '/x/y.json');
  t.equal(resolveConfigFile('/named.json', {}), '/named.json', 'a named file is used even if missing (and then refused)');
  t.equal(resolveConfigFile(undefined, { SPANGATE_CONFIG: '/does/not/exist.json' }), undefined, 'absent default: defaults only');
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(file, '{}');
  t.equal(resolveConfigFile(undefined, { SPANGATE_CONFIG: file }), file);
});

t.test('map keys with dots (host names in sip.edge.hostMap, trunk ids) load, from the file and the environment', async (t) => {
  const cfg = loadConfigObject({
    sip: { edge: { hostMap: { 'uc.teams.test': '127.0.0.3' } }, trunks: { 'carrier.a': { addresses: ['192.0.2.1'] } } },
  }, { env: {} });
  t.same(cfg.sip.edge.hostMap, { 'uc.teams.test': '127.0.0.3' });
  t.same(Object.keys(cfg.sip.trunks), ['carrier.a']);
  const fromEnv = loadConfigObject({}, { env: { SPANGATE_SIP_HOST_MAP: JSON.stringify({ 'pbx.example.org': ['192.0.2.7', '192.0.2.8'] }) } });
  t.same(fromEnv.sip.edge.hostMap, { 'pbx.example.org': ['192.0.2.7', '192.0.2.8'] });
  t.throws(() => loadConfigObject({ sip: { edge: { hostMap: { 'uc.teams.test': 'not an ip' } } } }, { env: {} }), ConfigError, 'values are still checked');
});
