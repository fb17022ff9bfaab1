// Child processes that die with spangate. They are started through util-linux's
// `setpriv --pdeathsig KILL` (util-linux is essential in Debian, so it is on every install and
// in the appliance image): setpriv sets PR_SET_PDEATHSIG and execs the program under the same
// pid, and the kernel SIGKILLs the child when the thread that spawned it exits — also when
// spangate itself is SIGKILLed and has no chance to stop its children. The kernel ties the
// child to the spawning *thread*: call these from the main thread (a child spawned from a
// worker thread dies with the worker). Without setpriv the child is spawned directly and
// `tied` says so; callers keep their own clean-up (pid files, IPC disconnect) either way.
import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'];
let found: string | null | undefined;

/** setpriv's path, or undefined when util-linux's setpriv is not installed. */
export function setprivPath(): string | undefined {
  if (found === undefined) {
    found = SETPRIV.find(executable) ?? null;
  }
  return found ?? undefined;
}

/** Whether children spawned here die with this process. */
export function childrenTied(): boolean {
  return setprivPath() !== undefined;
}

function executable(path: string): boolean {
  try { accessSync(path, constants.X_OK); return true; } catch { return false; }
}

/**
 * The command line that runs `command args` with a parent-death signal. A command given as a
 * path that cannot run is left as it is, so spawn reports it (ENOENT, EACCES) as usual.
 */
export function tiedCommand(command: string, args: readonly string[]): { command: string; args: string[]; tied: boolean } {
  const sp = setprivPath();
  if (!sp || (command.includes('/') && !executable(command))) return { command, args: [...args], tied: false };
  return { command: sp, args: ['--pdeathsig', 'KILL', '--', command, ...args], tied: true };
}

/** child_process.spawn, with the child SIGKILLed by the kernel when this process dies. */
export function spawnTied(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const c = tiedCommand(command, args);
  return spawn(c.command, c.args, options);
}

/**
 * child_process.fork of a Node module (IPC channel included), tied the same way: setpriv runs
 * as fork's execPath and execs this Node binary.
 */
export function forkTied(modulePath: string, args: readonly string[], options: ForkOptions = {}): ChildProcess {
  const sp = setprivPath();
  if (!sp) return fork(modulePath, args, options);
  const node = options.execPath ?? process.execPath;
  return fork(modulePath, args, {
    ...options,
    execPath: sp,
    execArgv: ['--pdeathsig', 'KILL', '--', node, ...(options.execArgv ?? process.execArgv)],
  });
}

/** True while `pid` runs (a zombie not yet reaped by its parent counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return stat.slice(close + 2, close + 3) !== 'Z';
  } catch {
    return false;
  }
}
