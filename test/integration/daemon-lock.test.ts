// Two daemons can never share one admin socket: the pid lock refuses a second daemon with the
// same config, the socket probe refuses one with another pid file, and a stale pid file left
// by a killed daemon does not block the next start.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DaemonProcess, daemonFiles, runCli } from '../fixtures/daemon.js';

t.test('a second daemon with the same config is refused', async (t) => {
  const f = daemonFiles(t);
  const first = DaemonProcess.start(t, ['run', '--config', f.config]);
  await first.waitForEvent('ready');

  const second = await runCli(['run', '--config', f.config]);
  t.equal(second.code, 1);
  t.match(second.stderr, `spangate: another spangate daemon (pid ${first.pid}) is running: it holds ${f.pidFile}`);
  t.equal(readFileSync(f.pidFile, 'utf8'), `${first.pid}\n`, 'the first keeps its lock');

  // Same socket, different pid file: the live socket is not taken over.
  const other = join(f.dir, 'other.json');
  writeFileSync(other, JSON.stringify({ ...f.raw, daemon: { ...f.raw.daemon, pidFile: join(f.dir, 'other.pid') } }));
  const third = await runCli(['run', '--config', other]);
  t.equal(third.code, 1);
  t.match(third.stderr, `admin socket ${f.socket} is in use by another process`);

  const st = await runCli(['status', '--config', f.config, '--json']);
  t.equal(st.code, 0);
  t.equal(JSON.parse(st.stdout).pid, first.pid, 'the first daemon still answers');
  first.kill('SIGTERM');
  t.equal((await first.exited).code, 0);
});

t.test('a stale pid file and socket from a killed daemon do not block the next start', async (t) => {
  const f = daemonFiles(t);
  const crashed = DaemonProcess.start(t, ['run', '--config', f.config]);
  await crashed.waitForEvent('ready');
  crashed.kill('SIGKILL');
  await crashed.exited;
  t.equal(readFileSync(f.pidFile, 'utf8'), `${crashed.pid}\n`, 'pid file left behind');

  const next = DaemonProcess.start(t, ['run', '--config', f.config]);
  await next.waitForEvent('ready');
  t.ok(next.lines.some((l) => l.event === 'stale-lock' && l.stalePid === crashed.pid));
  t.equal(readFileSync(f.pidFile, 'utf8'), `${next.pid}\n`);
  const st = await runCli(['status', '--config', f.config, '--json']);
  t.equal(JSON.parse(st.stdout).pid, next.pid);
  next.kill('SIGTERM');
  t.equal((await next.exited).code, 0);
});

t.test('a pid file naming a process that is not spangate is stale', async (t) => {
  const f = daemonFiles(t);
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.teardown(() => void sleeper.kill('SIGKILL'));
  await once(sleeper, 'spawn');
  mkdirSync(join(f.dir, 'run'), { recursive: true });
  writeFileSync(f.pidFile, `${sleeper.pid}\n`);
  const d = DaemonProcess.start(t, ['run', '--config', f.config]);
  await d.waitForEvent('ready');
  t.equal(readFileSync(f.pidFile, 'utf8'), `${d.pid}\n`);
  d.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});
