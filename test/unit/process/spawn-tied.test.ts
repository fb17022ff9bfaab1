// Children spawned through spawn-tied die with the process that spawned them, also when that
// process is SIGKILLed: a shell stands in for spangate, starts `sleep` with tiedCommand's
// command line, and is killed; the sleep must go (a bounded poll on its pid, no fixed sleep).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { childrenTied, forkTied, processAlive, setprivPath, spawnTied, tiedCommand } from '../../../src/process/spawn-tied.js';
import { tmpDir } from '../../fixtures/tmp.js';

async function gone(pid: number, timeoutMs = 30_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

t.test('setpriv is there (util-linux is essential in Debian)', async (t) => {
  t.ok(setprivPath(), 'setpriv found');
  t.ok(childrenTied());
  t.same(tiedCommand('sleep', ['1']), { command: setprivPath(), args: ['--pdeathsig', 'KILL', '--', 'sleep', '1'], tied: true });
});

t.test('a path that cannot run is spawned as is, so spawn reports ENOENT', async (t) => {
  t.same(tiedCommand('/nonexistent/x', ['a']), { command: '/nonexistent/x', args: ['a'], tied: false });
  const c = spawnTied('/nonexistent/x', []);
  const err = await new Promise<NodeJS.ErrnoException>((r) => c.once('error', r));
  t.equal(err.code, 'ENOENT');
});

t.test('the child dies when its parent is SIGKILLed', async (t) => {
  const cmd = tiedCommand('sleep', ['600']);
  // The parent: a shell that starts the tied sleep, prints its pid and waits.
  const parent = spawn('sh', ['-c', '"$@" & echo $!; wait', 'sh', cmd.command, ...cmd.args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((r) => parent.stdout.setEncoding('utf8').once('data', (d: string) => r(Number(d.trim()))));
  t.teardown(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
  // setpriv has exec'd sleep under the same pid once /proc shows sleep.
  const end = Date.now() + 30_000;
  // /proc/<pid>/comm names the program after exec ("setpriv" before, "sleep" after).
  const comm = (): string => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } };
  while (comm() !== 'sleep' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  t.equal(comm(), 'sleep', 'sleep runs');
  parent.kill('SIGKILL');
  t.ok(await gone(pid), `sleep (pid ${pid}) is gone after its parent was SIGKILLed`);
});

t.test('forkTied keeps the IPC channel of fork', async (t) => {
  const dir = tmpDir(t);
  const mod = join(dir, 'echo.mjs');
  writeFileSync(mod, "process.on('message', (m) => { process.send({ echo: m }, () => process.exit(0)); });\n");
  const c = forkTied(mod, [], { execArgv: [] });
  c.send('hi');
  const reply = await new Promise((r) => c.once('message', r));
  t.same(reply, { echo: 'hi' });
  const code = await new Promise((r) => c.once('exit', r));
  t.equal(code, 0);
});

t.test('processAlive: running, gone', async (t) => {
  t.ok(processAlive(process.pid));
  const c = spawn('true');
  const pid = c.pid!;
  await new Promise((r) => c.once('exit', r));
  t.notOk(processAlive(pid), 'an exited and reaped child is gone');
});
