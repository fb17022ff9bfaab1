// The daemon starts from a config file, answers status over the admin socket, serves
// /metrics and /health, and stops cleanly on SIGTERM (exit 0, pid file and socket removed).
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { DaemonProcess, daemonFiles, httpGet, runCli } from '../fixtures/daemon.js';

t.test('run, status, metrics, health, SIGTERM', async (t) => {
  const f = daemonFiles(t);
  const d = DaemonProcess.start(t, ['run', '--config', f.config]);
  const ready = await d.waitForEvent('ready');
  t.equal(ready.adminSocket, f.socket);
  t.equal(ready.configFile, f.config);
  const base = String(ready.metricsUrl);
  t.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.equal(readFileSync(f.pidFile, 'utf8'), `${d.pid}\n`);
  t.ok(existsSync(f.stateDir), 'state directory created');

  const st = await runCli(['status', '--config', f.config]);
  t.equal(st.code, 0, st.stderr);
  t.match(st.stdout, /^spangate \d+\.\d+\.\d+: running \(health ok\), pid \d+/);
  t.match(st.stdout, /admin +ok/);
  const js = await runCli(['status', '--socket', f.socket, '--json']);
  t.match(JSON.parse(js.stdout), { state: 'running', pid: d.pid, adminSocket: f.socket, metricsUrl: base });

  const m = await httpGet(`${base}/metrics`);
  t.equal(m.status, 200);
  t.match(m.type, /text\/plain/);
  t.match(m.body, /spangate_build_info\{version="\d+\.\d+\.\d+",node="v\d+\.\d+\.\d+",native_abi="1"\} 1/);
  t.match(m.body, /^process_cpu_seconds_total \d/m);
  t.match(m.body, /^process_resident_memory_bytes \d/m);
  t.match(m.body, /^process_open_fds \d/m);

  const h = await httpGet(`${base}/health`);
  t.equal(h.status, 200);
  t.match(JSON.parse(h.body), { status: 'ok', subsystems: { admin: { status: 'ok' }, metrics: { status: 'ok' }, log: { status: 'ok' } } });

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
  t.ok(d.lines.some((l) => l.event === 'draining'));
  t.ok(d.lines.some((l) => l.event === 'stopped'));
  t.notOk(existsSync(f.pidFile), 'pid file removed');
  t.notOk(existsSync(f.socket), 'admin socket removed');
  const after = await runCli(['status', '--config', f.config]);
  t.equal(after.code, 3);
  t.match(after.stderr, `daemon is not running (no socket at ${f.socket})`);
});
