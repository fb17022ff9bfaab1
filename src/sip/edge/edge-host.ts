// Runs the SIP edge off the main event loop and controls it from the spangate daemon.
// `mode: 'worker'` (the default, see docs/sip-edge.md for the measurements) uses a worker
// thread; `mode: 'child'` forks a child process. The edge is reached over its control socket
// by drachtio-srf exactly as a real drachtio-server would be.

import { type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ClosedError, TimeoutError } from '../../errors.js';
import { forkTied } from '../../process/spawn-tied.js';
import type { EdgeToHost, HostToEdge } from './edge-runner.js';
import type { EdgeLogger } from './logger.js';
import { nullLogger } from './logger.js';
import type { SipEdgeAddresses, SipEdgeOptions, EdgeTlsMaterial } from './server.js';

export type EdgeMode = 'worker' | 'child';

export interface EdgeHostOptions {
  mode?: EdgeMode;
  /** Start/stop timeout. */
  timeoutMs?: number;
  logger?: EdgeLogger;
  /** Told when a started edge's thread or process ends without stop() asking it to. */
  onExit?: (reason: string) => void;
}

/**
 * The runner next to this file when built. Run from source through tsx (tests), this is the
 * built copy in dist/: tsx's loader does not reach worker threads on Node 20, so a thread
 * cannot load .ts. scripts/setup.sh builds dist/ before any test runs.
 */
function runnerPath(): string {
  if (import.meta.url.endsWith('.js')) return fileURLToPath(new URL('./edge-runner.js', import.meta.url));
  return fileURLToPath(new URL('../../../dist/sip/edge/edge-runner.js', import.meta.url));
}

export class SipEdgeHost {
  private worker: Worker | undefined;
  private child: ChildProcess | undefined;
  private readonly mode: EdgeMode;
  private readonly timeoutMs: number;
  private readonly log: EdgeLogger;
  private statsSeq = 0;
  private readonly waiting = new Map<number, (s: Record<string, number>) => void>();
  private listeners: Array<(m: EdgeToHost) => void> = [];
  private exited = false;
  private stopping = false;
  private readonly onExit: ((reason: string) => void) | undefined;

  constructor(opts: EdgeHostOptions = {}) {
    this.mode = opts.mode ?? 'worker';
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.log = opts.logger ?? nullLogger;
    this.onExit = opts.onExit;
  }

  /** The child's pid (child mode) or undefined. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The worker's thread id (worker mode) or undefined. */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  /** Whether the edge thread/process is running. */
  get running(): boolean {
    return (this.worker !== undefined || this.child !== undefined) && !this.exited;
  }

  /** New overload limits for the running edge (applied from its next INVITE on). */
  setOverload(o: NonNullable<SipEdgeOptions['overload']>): void {
    if (this.running) this.send({ type: 'overload', overload: o });
  }

  /** New TLS material for the running edge's handshakes from now on. */
  setTls(m: EdgeTlsMaterial): void {
    if (this.running) this.send({ type: 'tls', tls: m });
  }

  private send(m: HostToEdge): void {
    if (this.worker) this.worker.postMessage(m);
    else this.child?.send(m);
  }

  private onMessage(m: EdgeToHost): void {
    if (m.type === 'log') this.log[m.level](m.obj, m.msg);
    else if (m.type === 'stats') {
      this.waiting.get(m.id)?.(m.stats);
      this.waiting.delete(m.id);
    }
    for (const l of [...this.listeners]) l(m);
  }

  private next<T extends EdgeToHost['type']>(types: T[], what: string): Promise<Extract<EdgeToHost, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((x) => x !== l);
        reject(new TimeoutError(`sip edge ${what} timed out`, this.timeoutMs));
      }, this.timeoutMs);
      const l = (m: EdgeToHost): void => {
        if (!(types as string[]).includes(m.type)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((x) => x !== l);
        resolve(m as Extract<EdgeToHost, { type: T }>);
      };
      this.listeners.push(l);
    });
  }

  /** Starts the edge; resolves with its bound addresses. */
  async start(opts: Omit<SipEdgeOptions, 'logger'>): Promise<SipEdgeAddresses> {
    if (this.worker || this.child) throw new Error('edge already started');
    const path = runnerPath();
    this.exited = false;
    this.stopping = false;
    let started = false;
    const gone = (why: string): void => {
      if (this.exited) return;
      this.exited = true;
      for (const l of [...this.listeners]) l({ type: 'failed', message: why });
      if (started && !this.stopping) this.onExit?.(why);
    };
    if (this.mode === 'worker') {
      this.worker = new Worker(path);
      this.worker.on('message', (m: EdgeToHost) => this.onMessage(m));
      this.worker.on('error', (err) => this.log.error({ err }, 'sip edge worker error'));
      this.worker.on('exit', (code) => gone(`sip edge worker exited (${code})`));
    } else {
      // Tied: the edge process dies with us even when we are SIGKILLed (not only by its IPC disconnect handler).
      this.child = forkTied(path, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.child.on('message', (m: EdgeToHost) => this.onMessage(m));
      this.child.on('exit', (code, signal) => gone(`sip edge process exited (${signal ?? code})`));
    }
    const ready = this.next(['ready', 'failed'], 'start');
    this.send({ type: 'start', opts });
    const m = await ready;
    if (m.type === 'failed') {
      await this.kill();
      throw new ClosedError(m.message);
    }
    started = true;
    return m.addr;
  }

  /** Counters of the running edge. */
  stats(): Promise<Record<string, number>> {
    if (this.exited) return Promise.reject(new ClosedError('sip edge not running'));
    const id = ++this.statsSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new TimeoutError('sip edge stats timed out', this.timeoutMs));
      }, this.timeoutMs);
      this.waiting.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.send({ type: 'stats', id });
    });
  }

  /** Stops the edge gracefully, killing it if it does not answer in time. */
  async stop(): Promise<void> {
    if (!this.worker && !this.child) return;
    this.stopping = true;
    if (!this.exited) {
      const done = this.next(['stopped', 'failed'], 'stop');
      this.send({ type: 'stop' });
      await done.catch(() => undefined);
    }
    await this.kill();
  }

  private async kill(): Promise<void> {
    const w = this.worker;
    const c = this.child;
    this.worker = undefined;
    this.child = undefined;
    if (w) await w.terminate();
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
  }
}
