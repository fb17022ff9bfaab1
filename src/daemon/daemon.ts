// The daemon's lifecycle: start subsystems in order behind the pid lock, reload on SIGHUP
// (a bad config keeps the running one), drain and stop on SIGTERM/SIGINT, exit 0.
import type { AdminRegistry } from '../admin/index.js';
import { applyReloadable, deepFreeze, redact, type SpangateConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { HealthReport } from '../metrics/index.js';
import type { PidLock } from './lock.js';
import type { HealthStatus, Subsystem, SubsystemHealth } from './subsystem.js';

export type DaemonState = 'created' | 'starting' | 'running' | 'draining' | 'stopped';

export interface DaemonOptions {
  config: SpangateConfig;
  /** The file the config came from (undefined: defaults and environment only). */
  configFile: string | undefined;
  /**
   * Reads the config again for a reload, and says from which file (the default location may
   * have appeared since start); throws ConfigError when it is bad.
   */
  readConfig: () => { config: SpangateConfig; file: string | undefined };
  /** In start order; stopped in reverse order. */
  subsystems: Subsystem[];
  lock: PidLock;
  admin: AdminRegistry;
  log: Logger;
  version: string;
  /** Told the outcome of every reload (for metrics). */
  onReload?: (result: 'applied' | 'refused') => void;
  /** Extra fields for `status` (where metrics and admin listen). */
  describe?: () => Record<string, unknown>;
}

export interface ReloadResult {
  /** Keys whose new values are now in effect. */
  applied: string[];
  /** Keys changed in the file that need a restart; the running values stay. */
  restartRequired: string[];
  /** The file the daemon read (null: defaults and environment only). */
  file: string | null;
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };

export class Daemon {
  private stateValue: DaemonState = 'created';
  private current: SpangateConfig;
  private file: string | undefined;
  private pending: string[] = [];
  private started: Subsystem[] = [];
  private readonly startedAt = Date.now();
  private reloading: Promise<unknown> = Promise.resolve();
  private shuttingDown: Promise<void> | undefined;
  private cutDrainShort: (() => void) | undefined;
  private exit!: (code: number) => void;
  /** Resolves with the exit code once the daemon has stopped. */
  readonly done: Promise<number>;

  constructor(private readonly o: DaemonOptions) {
    this.current = o.config;
    this.file = o.configFile;
    this.done = new Promise((resolve) => (this.exit = resolve));
    o.admin.register('status', 'Daemon state, uptime, subsystems and their health.', () => this.status());
    o.admin.register('config.get', 'The running config (secrets redacted) and keys pending a restart.', () => ({
      file: this.file ?? null,
      config: redact(this.current),
      pendingRestart: this.pending,
    }));
    o.admin.register('config.reload', 'Re-reads the config file and applies reloadable keys.', () => this.reload());
  }

  get state(): DaemonState {
    return this.stateValue;
  }

  get config(): SpangateConfig {
    return this.current;
  }

  async start(): Promise<void> {
    if (this.stateValue !== 'created') throw new Error(`daemon already ${this.stateValue}`);
    this.stateValue = 'starting';
    try {
      this.o.lock.acquire();
    } catch (err) {
      this.stateValue = 'stopped';
      throw err;
    }
    try {
      for (const s of this.o.subsystems) {
        await s.start();
        this.started.push(s);
      }
    } catch (err) {
      this.o.log.error({ err }, 'start-up failed; stopping what started');
      await this.stopAll();
      this.o.lock.release();
      this.stateValue = 'stopped';
      throw err;
    }
    this.stateValue = 'running';
    this.o.log.info(
      { event: 'ready', configFile: this.file ?? null, ...this.o.describe?.() },
      'spangate daemon ready',
    );
  }

  /** Serialized: a reload waits for the one before it. */
  reload(): Promise<ReloadResult> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadResult> {
    if (this.stateValue !== 'running') throw new Error(`cannot reload while ${this.stateValue}`);
    try {
      const result = await this.applyNewConfig();
      this.o.onReload?.('applied');
      return result;
    } catch (err) {
      this.o.onReload?.('refused');
      throw err;
    }
  }

  private async applyNewConfig(): Promise<ReloadResult> {
    let next: SpangateConfig;
    let file: string | undefined;
    try {
      ({ config: next, file } = this.o.readConfig());
    } catch (err) {
      const e = err as ConfigError;
      this.o.log.error(
        { event: 'reload-failed', file: e.file, path: e.path, reason: e.reason ?? e.message },
        `reload refused, keeping the running config: ${e.message}`,
      );
      throw err;
    }
    const old = this.current;
    const { config, applied, pending } = applyReloadable(old, next);
    const frozen = deepFreeze(config);
    const done: Subsystem[] = [];
    try {
      for (const s of this.started) {
        await s.reload(frozen);
        done.push(s);
      }
    } catch (err) {
      for (const s of done) {
        try {
          await s.reload(old);
        } catch (again) {
          this.o.log.error({ err: again, subsystem: s.name }, 'could not roll back reload');
        }
      }
      this.o.log.error({ event: 'reload-failed', err }, 'a subsystem refused the new config; keeping the running config');
      throw err;
    }
    this.current = frozen;
    this.file = file;
    this.pending = pending;
    this.o.log.info({ event: 'reloaded', file: file ?? null, applied, restartRequired: pending }, 'config reloaded');
    if (pending.length > 0) this.o.log.warn({ restartRequired: pending }, 'some changed keys take effect only after a restart');
    return { applied, restartRequired: pending, file: file ?? null };
  }

  /**
   * Drains then stops. Subsystems stop accepting work and get until daemon.drainTimeoutMs
   * for active work to end; a second call (second SIGTERM) cuts the drain short.
   */
  shutdown(reason: string): Promise<void> {
    if (this.shuttingDown) {
      if (this.stateValue === 'draining' && this.cutDrainShort) {
        this.o.log.warn({ reason }, 'second stop request: not waiting for active work');
        this.cutDrainShort();
      }
      return this.shuttingDown;
    }
    this.shuttingDown = this.shutdownNow(reason);
    return this.shuttingDown;
  }

  private async shutdownNow(reason: string): Promise<void> {
    // Let a reload in progress finish, but not hold the stop up for long.
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([this.reloading, new Promise((r) => (wait = setTimeout(r, this.current.daemon.stopTimeoutMs)))]);
    clearTimeout(wait);
    this.stateValue = 'draining';
    const drainMs = this.current.daemon.drainTimeoutMs;
    const deadline = Date.now() + drainMs;
    this.o.log.info({ event: 'draining', reason, drainTimeoutMs: drainMs, activeWork: this.activeWork() }, 'draining');
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      this.cutDrainShort = resolve;
      timer = setTimeout(resolve, drainMs);
    });
    const drains = this.started.map((s) =>
      s.drain(deadline).catch((err: unknown) => this.o.log.error({ err, subsystem: s.name }, 'drain failed')),
    );
    await Promise.race([Promise.all(drains), limit]);
    clearTimeout(timer);
    this.cutDrainShort = undefined;
    const left = this.activeWork();
    if (left > 0) this.o.log.warn({ activeWork: left }, 'drain limit reached; stopping with work still active');
    await this.stopAll();
    this.o.lock.release();
    this.stateValue = 'stopped';
    this.o.log.info({ event: 'stopped', reason }, 'spangate daemon stopped');
    this.exit(0);
  }

  private async stopAll(): Promise<void> {
    const limit = this.current.daemon.stopTimeoutMs;
    for (const s of [...this.started].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), limit)));
      try {
        const r = await Promise.race([s.stop().then(() => 'ok' as const), late]);
        if (r === 'late') this.o.log.error({ subsystem: s.name, stopTimeoutMs: limit }, 'subsystem did not stop in time; abandoned');
      } catch (err) {
        this.o.log.error({ err, subsystem: s.name }, 'subsystem stop failed');
      } finally {
        clearTimeout(timer);
      }
    }
    this.started = [];
  }

  /** SIGHUP reloads; SIGTERM and SIGINT drain and stop. Returns a function that removes the handlers. */
  installSignalHandlers(proc: NodeJS.EventEmitter = process): () => void {
    const onHup = (): void => {
      this.o.log.info({ signal: 'SIGHUP' }, 'reload requested');
      this.reload().catch(() => undefined); // logged in reloadNow
    };
    const onTerm = (signal: string): void => void this.shutdown(signal);
    proc.on('SIGHUP', onHup);
    proc.on('SIGTERM', onTerm);
    proc.on('SIGINT', onTerm);
    return () => {
      proc.off('SIGHUP', onHup);
      proc.off('SIGTERM', onTerm);
      proc.off('SIGINT', onTerm);
    };
  }

  activeWork(): number {
    return this.started.reduce((n, s) => n + (s.activeWork?.() ?? 0), 0);
  }

  subsystemHealth(): Record<string, SubsystemHealth & { activeWork?: number }> {
    const out: Record<string, SubsystemHealth & { activeWork?: number }> = {};
    for (const s of this.o.subsystems) {
      const h = this.started.includes(s) ? (s.health?.() ?? { status: 'ok' as const }) : { status: 'down' as const, detail: 'not started' };
      out[s.name] = s.activeWork ? { ...h, activeWork: s.activeWork() } : h;
    }
    return out;
  }

  healthReport(): HealthReport {
    const subsystems = this.subsystemHealth();
    let status: HealthReport['status'];
    if (this.stateValue === 'running') {
      const worst = Math.max(0, ...Object.values(subsystems).map((h) => RANK[h.status]));
      status = (Object.keys(RANK) as HealthStatus[]).find((k) => RANK[k] === worst) ?? 'down';
    } else if (this.stateValue === 'draining') status = 'draining';
    else if (this.stateValue === 'stopped') status = 'down';
    else status = 'starting';
    return { status, version: this.o.version, uptimeS: this.uptimeS(), subsystems };
  }

  status(): Record<string, unknown> {
    return {
      version: this.o.version,
      pid: process.pid,
      state: this.stateValue,
      uptimeS: this.uptimeS(),
      configFile: this.file ?? null,
      pendingRestart: this.pending,
      activeWork: this.activeWork(),
      health: this.healthReport().status,
      subsystems: this.subsystemHealth(),
      ...this.o.describe?.(),
    };
  }

  private uptimeS(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }
}
