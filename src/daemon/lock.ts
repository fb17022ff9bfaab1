// The pid file, used as the daemon's lock: created exclusively (O_EXCL), holding our pid.
// A pid file whose process is gone, or now belongs to something that is not spangate, is stale
// and replaced. Note: two daemons racing on one stale file can both see it stale; the
// O_EXCL create still lets only one of them through, and the admin socket probe
// (admin/server.ts) is the second guard.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DaemonError } from '../errors.js';
import type { Logger } from '../log/index.js';

function readPid(path: string): { text: string; pid: number } | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return { text, pid: /^\s*(\d+)\s*$/.test(text) ? Number(text.trim()) : NaN };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True unless /proc shows the process is something other than spangate (pid reuse). */
function looksLikeSpangate(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('spangate');
  } catch {
    return true;
  }
}

export class PidLock {
  private held = false;

  constructor(readonly path: string, private readonly log: Logger) {}

  /** Takes the lock or throws DaemonError('locked') naming the pid that holds it. */
  acquire(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o755 });
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(this.path, 'wx', 0o644);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new DaemonError(`cannot create pid file ${this.path}: ${(err as NodeJS.ErrnoException).code}`, 'start-failed', { cause: err });
        }
        this.clearIfStale();
        continue;
      }
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      this.held = true;
      return;
    }
    throw new DaemonError(`cannot take pid file ${this.path}: it keeps reappearing`, 'locked');
  }

  /** Removes the pid file if it is ours. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const cur = readPid(this.path);
    if (cur && cur.pid === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        /* already gone */
      }
    }
  }

  private clearIfStale(): void {
    const cur = readPid(this.path);
    if (!cur) return; // vanished meanwhile: retry the create
    const { pid, text } = cur;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) && looksLikeSpangate(pid)) {
      throw new DaemonError(`another spangate daemon (pid ${pid}) is running: it holds ${this.path}`, 'locked');
    }
    // Only remove the file we judged, not one another starter wrote meanwhile.
    if (readPid(this.path)?.text !== text) return;
    this.log.warn({ event: 'stale-lock', pidFile: this.path, stalePid: Number.isNaN(pid) ? text.trim() : pid }, 'removing stale pid file');
    try {
      unlinkSync(this.path);
    } catch {
      /* someone else removed it */
    }
  }
}
