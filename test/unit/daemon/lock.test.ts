import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PidLock } from '../../../src/daemon/lock.js';
import { DaemonError } from '../../../src/errors.js';
import { LogManager } from '../../../src/log/index.js';
import { tmpDir } from '../../fixtures/tmp.js';

const lines: Record<string, unknown>[] = [];
const log = new LogManager({ level: 'info', subsystems: {} }, { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }).child('daemon');

/** A live process whose command line says "spangate" (or not), killed at teardown. */
async function liveProcess(t: { teardown(fn: () => void): void }, name: string): Promise<ChildProcess> {
  const child = spawn('bash', ['-c', `exec -a ${name} sleep 600`], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  await once(child, 'spawn');
  // Wait until exec has replaced bash, so /proc shows the final command line.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if (readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').startsWith(name)) return child;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`child did not exec ${name} within 60 s`);
}

async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  const pid = child.pid!;
  await once(child, 'exit');
  return pid;
}

t.test('acquire writes our pid, release removes it', async (t) => {
  const path = join(tmpDir(t), 'run', 'spangate.pid');
  const lock = new PidLock(path, log);
  lock.acquire();
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  lock.release();
  t.notOk(existsSync(path));
  lock.release();
});

t.test('a live spangate holding the file refuses the lock and keeps its file', async (t) => {
  const path = join(tmpDir(t), 'spangate.pid');
  const other = await liveProcess(t, 'spangate-test-holder');
  writeFileSync(path, `${other.pid}\n`);
  const e = (() => {
    try {
      new PidLock(path, log).acquire();
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  t.ok(e instanceof DaemonError);
  t.match(e, { reason: 'locked', message: `another spangate daemon (pid ${other.pid}) is running: it holds ${path}` });
  t.equal(readFileSync(path, 'utf8'), `${other.pid}\n`);
});

t.test('stale files are replaced: dead pid, reused pid, garbage', async (t) => {
  const dir = tmpDir(t);
  const reused = await liveProcess(t, 'not-our-daemon');
  for (const content of [`${await deadPid()}\n`, `${reused.pid}\n`, 'garbage', '']) {
    const path = join(dir, 'spangate.pid');
    writeFileSync(path, content);
    lines.length = 0;
    const lock = new PidLock(path, log);
    lock.acquire();
    t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`, JSON.stringify(content));
    t.ok(lines.some((l) => l.event === 'stale-lock'), 'the stale lock is logged');
    lock.release();
  }
});

t.test('release leaves a file that is no longer ours', async (t) => {
  const path = join(tmpDir(t), 'spangate.pid');
  const lock = new PidLock(path, log);
  lock.acquire();
  writeFileSync(path, '1\n');
  lock.release();
  t.equal(readFileSync(path, 'utf8'), '1\n');
});

t.test('an unwritable location is a start failure', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'file'), '');
  t.throws(() => new PidLock(join(dir, 'file', 'x.pid'), log).acquire());
});
