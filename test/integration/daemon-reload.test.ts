// SIGHUP and `config set --reload`: a good config is applied (reloadable keys) or reported
// (restart-required keys); a bad one is refused and the daemon keeps the config it had.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DaemonProcess, daemonFiles, runCli } from '../fixtures/daemon.js';
import { tmpDir } from '../fixtures/tmp.js';

t.test('good and bad reloads', async (t) => {
  const f = daemonFiles(t);
  const d = DaemonProcess.start(t, ['run', '--config', f.config]);
  await d.waitForEvent('ready');
  const running = async (): Promise<{ config: { log: { level: string }; daemon: { drainTimeoutMs: number } }; pendingRestart: string[] }> => {
    // --socket: the file may be broken on purpose below.
    const r = await runCli(['config', 'show', '--running', '--socket', f.socket]);
    t.equal(r.code, 0, r.stderr);
    return { config: JSON.parse(r.stdout), pendingRestart: /needs a restart: (.*)/.exec(r.stderr)?.[1]?.split(', ') ?? [] };
  };

  // Good reload by SIGHUP: a reloadable key and a restart-required key.
  writeFileSync(f.config, JSON.stringify({
    ...f.raw, log: { level: 'debug' }, daemon: { ...f.raw.daemon, drainTimeoutMs: 15_000 }, metrics: { ...f.raw.metrics, port: 41999 },
  }));
  d.kill('SIGHUP');
  const ok = await d.waitForEvent('reloaded');
  t.same(ok.applied, ['daemon.drainTimeoutMs', 'log.level']);
  t.same(ok.restartRequired, ['metrics.port']);
  let r = await running();
  t.equal(r.config.log.level, 'debug');
  t.equal(r.config.daemon.drainTimeoutMs, 15_000);
  t.same(r.pendingRestart, ['metrics.port']);

  // Bad reload by SIGHUP: an unknown key. The daemon logs why and keeps its config.
  writeFileSync(f.config, JSON.stringify({ ...f.raw, log: { level: 'warn', colour: true } }));
  d.kill('SIGHUP');
  const bad = await d.waitForEvent('reload-failed');
  t.match(bad, { file: f.config, path: 'log.colour', reason: /unknown key/ });
  r = await running();
  t.equal(r.config.log.level, 'debug', 'old config kept');

  // Bad reload through the CLI: exit 2 with file, key and reason.
  writeFileSync(f.config, JSON.stringify({ ...f.raw, metrics: { ...f.raw.metrics, port: 'nine' } }));
  const viaCli = await runCli(['config', 'set', 'log.level', 'info', '--config', f.config, '--reload']);
  t.equal(viaCli.code, 2);
  t.match(viaCli.stderr, `${f.config}: metrics.port: must be a port number`);

  // Bad reload through the admin API: the daemon refuses, the CLI exits 2 naming file, key and reason.
  const refused = await runCli(['config', 'reload', '--socket', f.socket]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, 'the daemon refused the config and keeps its running one');
  t.match(refused.stderr, `${f.config}: metrics.port: must be a port number (got "nine")`);
  r = await running();
  t.equal(r.config.log.level, 'debug', 'old config still kept');

  // Fix the file with config set, reload through the admin API.
  writeFileSync(f.config, JSON.stringify(f.raw));
  const fixed = await runCli(['config', 'set', 'log.level', 'warn', '--config', f.config, '--reload']);
  t.equal(fixed.code, 0, fixed.stderr);
  t.match(fixed.stdout, /daemon reloaded: applied daemon\.drainTimeoutMs, log\.level; needs a restart: none/);
  r = await running();
  t.equal(r.config.log.level, 'warn');
  t.equal(r.config.daemon.drainTimeoutMs, 20_000);
  t.same(r.pendingRestart, []);

  // Changing a file the daemon does not read is flagged.
  const elsewhere = await runCli(['config', 'set', 'log.level', 'info', '--config', join(f.dir, 'other.json'), '--socket', f.socket, '--reload']);
  t.equal(elsewhere.code, 0, elsewhere.stderr);
  t.match(elsewhere.stderr, `warning: the daemon reads ${f.config}, not ${join(f.dir, 'other.json')}`);

  d.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('a daemon started without a file picks up the default file once `config set` creates it', async (t) => {
  const dir = tmpDir(t);
  const env = {
    SPANGATE_CONFIG: join(dir, 'etc', 'spangate.json'),
    SPANGATE_PID_FILE: join(dir, 'spangate.pid'),
    SPANGATE_STATE_DIR: join(dir, 'state'),
    SPANGATE_ADMIN_SOCKET: join(dir, 'admin.sock'),
    SPANGATE_METRICS_PORT: '0',
  };
  const d = DaemonProcess.start(t, ['run'], env);
  t.equal((await d.waitForEvent('ready')).configFile, null);
  const set = await runCli(['config', 'set', 'log.level', 'debug', '--reload'], env);
  t.equal(set.code, 0, set.stderr);
  t.match(set.stdout, /daemon reloaded: applied log\.level/);
  const st = await runCli(['status', '--json'], env);
  t.equal(JSON.parse(st.stdout).configFile, env.SPANGATE_CONFIG);
  d.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});
