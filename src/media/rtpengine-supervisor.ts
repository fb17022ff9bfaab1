// Runs Debian's rtpengine for spangate (userspace only, loopback NG control, its own port
// range, logs captured into ours), health-checks it with NG ping, restarts it with backoff
// when it dies or hangs. In `external` mode it only health-checks someone else's rtpengine.
// A managed rtpengine dies with spangate (parent-death signal, src/process/spawn-tied.ts), and
// one left behind anyway (spangate without setpriv, or killed while starting it) is found by
// its pid file at the next start and stopped before ours binds the same NG port.

import { type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MediaError } from '../errors.js';
import { processAlive, spawnTied } from '../process/spawn-tied.js';
import { NgClient, type NgLogger } from './rtpengine-ng.js';

export interface SupervisorLogger extends NgLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RtpengineOptions {
  /** managed: spangate starts and restarts rtpengine. external: use a running one. */
  mode: 'managed' | 'external';
  /** NG control address (UDP). Managed mode binds it; keep it on loopback. */
  ngHost: string;
  ngPort: number;
  /** Managed: the address RTP ports are opened on, and optionally the one advertised in SDP. */
  interfaceAddress?: string;
  advertisedAddress?: string;
  /** Managed: RTP port range (even start; two ports per stream). */
  portMin?: number;
  portMax?: number;
  /** rtpengine's own log level, 0-7 (default 5: notice). */
  logLevel?: number;
  /** Worker threads (default: rtpengine's own choice, one per CPU). */
  threads?: number;
  /** Managed: seconds without RTP after which rtpengine itself drops a call (default 60). */
  mediaTimeoutS?: number;
  /** Managed: `ip:port` rtpengine sends its DTMF events to (--dtmf-log-dest; rtpengine-dtmf-log.ts). */
  dtmfLogDest?: string;
  /** Managed: extra command-line options, appended as given. */
  extraArgs?: string[];
  binary?: string;
  /** Managed: pid file, so a daemon orphaned by a crash of ours is found and stopped. */
  pidFile?: string;
  ngTimeoutMs?: number;
  pingIntervalMs?: number;
  /**
   * Health ping timeout; default: the NG request timeout (a ping held to a tighter bar than the
   * offers and answers it vouches for marked a busy but working rtpengine down on a loaded
   * host, and killed a managed one with its calls).
   */
  pingTimeoutMs?: number;
  /** Consecutive failed pings that make it "down" (default 2). */
  pingFailures?: number;
  startTimeoutMs?: number;
  restartInitialMs?: number;
  restartMaxMs?: number;
}

export interface SupervisorEvents {
  up: [];
  down: [reason: string];
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

/** The command line for a managed rtpengine (also shown by `spangate config show`). */
export function rtpengineArgs(o: RtpengineOptions): string[] {
  if (!o.interfaceAddress) throw new MediaError('media.rtpengine.interface is required in managed mode');
  const iface = o.advertisedAddress ? `${o.interfaceAddress}!${o.advertisedAddress}` : o.interfaceAddress;
  const args = [
    '--foreground',
    '--log-stderr',
    '--config-file=none', // never read /etc/rtpengine/rtpengine.conf: everything is on this line
    '--table=-1', // userspace forwarding only; no kernel module
    `--interface=${iface}`,
    `--listen-ng=${o.ngHost}:${o.ngPort}`,
    `--port-min=${o.portMin ?? 30000}`,
    `--port-max=${o.portMax ?? 39999}`,
    `--log-level=${o.logLevel ?? 5}`,
    `--timeout=${o.mediaTimeoutS ?? 60}`,
    `--silent-timeout=${(o.mediaTimeoutS ?? 60) * 2}`,
    '--delete-delay=0', // a deleted call frees its ports at once
  ];
  if (o.threads !== undefined) args.push(`--num-threads=${o.threads}`);
  if (o.pidFile) args.push(`--pidfile=${o.pidFile}`);
  if (o.dtmfLogDest) args.push(`--dtmf-log-dest=${o.dtmfLogDest}`);
  return [...args, ...(o.extraArgs ?? [])];
}

const LEVELS: Record<string, 'error' | 'warn' | 'info' | 'debug'> = {
  EMERG: 'error', ALERT: 'error', CRIT: 'error', ERR: 'error', ERROR: 'error',
  WARNING: 'warn', WARN: 'warn', NOTICE: 'info', INFO: 'info', DEBUG: 'debug',
};

/** Splits an rtpengine stderr line ("[ts] LEVEL: [call]: [subsys] text") into a level and fields. */
export function parseRtpengineLog(line: string): { level: 'error' | 'warn' | 'info' | 'debug'; msg: string; callId?: string; subsystem?: string } {
  const m = /^(?:\[[\d.]+\]\s+)?([A-Z]+):\s+(?:\[([^\]]*)\]:\s+)?(?:\[([a-z-]+)\]\s+)?(.*)$/.exec(line);
  if (!m) return { level: 'info', msg: line };
  const out: { level: 'error' | 'warn' | 'info' | 'debug'; msg: string; callId?: string; subsystem?: string } = {
    level: LEVELS[m[1] as string] ?? 'info', msg: m[4] as string,
  };
  if (m[2] !== undefined) out.callId = m[2];
  if (m[3] !== undefined) out.subsystem = m[3];
  return out;
}

export class RtpengineSupervisor extends EventEmitter {
  readonly ng: NgClient;
  readonly #o: RtpengineOptions;
  readonly #log: SupervisorLogger;
  #child: ChildProcess | undefined;
  #up = false;
  #stopping = false;
  #started = false;
  #pingTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #failedPings = 0;
  #backoff: number;
  #upSince = 0;
  #restarts = 0;
  #lastStderr: string[] = [];
  #lastExit: string | undefined;

  constructor(opts: RtpengineOptions, log: SupervisorLogger) {
    super();
    this.#o = opts;
    this.#log = log;
    this.#backoff = opts.restartInitialMs ?? 500;
    this.ng = new NgClient({ host: opts.ngHost, port: opts.ngPort, timeoutMs: opts.ngTimeoutMs ?? 3000 }, log);
  }

  get up(): boolean {
    return this.#up;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Restarts done since start(). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Starts (managed) or finds (external) rtpengine; resolves when it answers NG ping. */
  async start(): Promise<void> {
    if (this.#started) throw new MediaError('rtpengine supervisor already started');
    this.#started = true;
    if (this.#o.mode === 'managed') {
      await this.#killOrphan();
      this.#spawn();
    }
    await this.#waitUp(this.#o.startTimeoutMs ?? 10_000);
    this.#schedulePing();
  }

  /** Stops health checks and (managed) the daemon: SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    }
    this.#setDown('stopped');
    this.ng.close();
    if (this.#o.mode === 'managed' && this.#o.pidFile) rmSync(this.#o.pidFile, { force: true });
  }

  #spawn(): void {
    const args = rtpengineArgs(this.#o);
    const bin = this.#o.binary ?? 'rtpengine';
    this.#log.info({ bin, args }, 'starting rtpengine');
    this.#lastStderr = [];
    // Spawned from the main thread (the parent-death signal follows the spawning thread).
    const child = spawnTied(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    child.on('error', (e) => {
      // spawn failed (binary missing, not executable): no 'exit' follows.
      this.#log.error({ err: e.message }, 'cannot start rtpengine');
      this.#lastStderr.push(e.message);
      if (this.#child !== child) return;
      this.#child = undefined;
      if (!this.#stopping) this.#scheduleRestart();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.#lastStderr.push(line);
      if (this.#lastStderr.length > 20) this.#lastStderr.shift();
      const p = parseRtpengineLog(line);
      const fields: Record<string, string> = { src: 'rtpengine' };
      if (p.callId) fields['callId'] = p.callId;
      if (p.subsystem) fields['subsystem'] = p.subsystem;
      this.#log[p.level](fields, p.msg);
    });
    child.on('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      this.#lastExit = signal ?? `code ${code}`;
      this.emit('exit', code, signal);
      if (this.#stopping) return;
      this.#log.error({ code, signal, stderr: this.#lastStderr.slice(-5) }, 'rtpengine exited');
      this.#setDown(`rtpengine exited (${signal ?? `code ${code}`})`);
      this.#scheduleRestart();
    });
  }

  #scheduleRestart(): void {
    if (this.#stopping || this.#restartTimer) return;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, this.#o.restartMaxMs ?? 30_000);
    this.#log.info({ delayMs: delay }, 'restarting rtpengine');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopping) return;
      this.#restarts++;
      this.#spawn();
      this.#waitUp(this.#o.startTimeoutMs ?? 10_000).catch((e: unknown) => {
        this.#log.warn({ err: (e as Error).message }, 'restarted rtpengine did not come up');
      });
    }, delay);
  }

  async #waitUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#stopping) {
      try {
        await this.ng.ping(Math.min(500, Math.max(50, deadline - Date.now())));
        this.#setUp();
        return;
      } catch {
        // not yet
      }
      // A managed daemon that died during start-up: report at once rather than at the deadline.
      if (this.#o.mode === 'managed' && !this.#child) break;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const why = [
      ...(this.#o.mode === 'managed' && !this.#child && this.#lastExit ? [`rtpengine exited (${this.#lastExit})`] : []),
      ...this.#lastStderr.slice(-3),
    ].join(' | ');
    throw new MediaError(`rtpengine at ${this.ng.target} did not answer NG ping within ${timeoutMs} ms${why ? `: ${why}` : ''}`);
  }

  #schedulePing(): void {
    if (this.#stopping) return;
    this.#pingTimer = setTimeout(() => { this.#pingOnce().finally(() => this.#schedulePing()); }, this.#o.pingIntervalMs ?? 5000);
  }

  async #pingOnce(): Promise<void> {
    try {
      await this.ng.ping(this.#o.pingTimeoutMs ?? this.#o.ngTimeoutMs ?? 3000);
      this.#failedPings = 0;
      this.#setUp();
      // Stable for 30 s: forget earlier crashes.
      if (this.#upSince && Date.now() - this.#upSince > 30_000) this.#backoff = this.#o.restartInitialMs ?? 500;
    } catch (e) {
      if (this.#stopping) return;
      this.#failedPings++;
      if (this.#failedPings < (this.#o.pingFailures ?? 2)) return;
      this.#setDown(`no NG ping answer (${(e as Error).message})`);
      // A managed daemon that is alive but mute is hung: kill it; the exit handler restarts it.
      if (this.#o.mode === 'managed' && this.#child) {
        this.#log.error({ pid: this.#child.pid }, 'rtpengine does not answer ping; killing it');
        this.#child.kill('SIGKILL');
      }
    }
  }

  #setUp(): void {
    if (this.#up) return;
    this.#up = true;
    this.#upSince = Date.now();
    this.#failedPings = 0;
    this.#log.info({ ng: this.ng.target, pid: this.#child?.pid }, 'rtpengine up');
    this.emit('up');
  }

  #setDown(reason: string): void {
    if (!this.#up) return;
    this.#up = false;
    this.#upSince = 0;
    this.#log.warn({ reason }, 'rtpengine down');
    this.emit('down', reason);
  }

  /**
   * Stops an rtpengine left running by an earlier spangate that died without stopping it: the
   * pid in our pid file, if that process is an rtpengine on our NG address. Waits (bounded)
   * until it is gone, so ours can bind the port.
   */
  async #killOrphan(): Promise<void> {
    const f = this.#o.pidFile;
    if (!f) return;
    const ng = `${this.#o.ngHost}:${this.#o.ngPort}`;
    let pid: number;
    try {
      pid = Number(readFileSync(f, 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmd.some((a) => /(^|\/)rtpengine$/.test(a)) || !cmd.includes(`--listen-ng=${ng}`)) return;
    } catch {
      return;
    }
    this.#log.warn({ pid, pidFile: f, ng }, `stopping stale rtpengine (pid ${pid}) left on NG ${ng} by an earlier spangate (pid file ${f})`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    const deadline = Date.now() + 10_000;
    while (processAlive(pid)) {
      if (Date.now() > deadline) throw new MediaError(`stale rtpengine pid ${pid} on NG ${ng} did not exit after SIGKILL`);
      await new Promise((r) => setTimeout(r, 20));
    }
    this.#log.info({ pid, ng }, 'stale rtpengine gone');
    writeFileSync(f, '');
  }

  override on<E extends keyof SupervisorEvents>(event: E, listener: (...args: SupervisorEvents[E]) => void): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
}

/** The `media.rtpengine` config section's values, as src/config/schema/media.ts declares them. */
export interface RtpengineSection {
  mode: 'managed' | 'external';
  binary: string;
  ngHost: string;
  ngPort: number;
  interface: string;
  advertisedAddress: string;
  portMin: number;
  portMax: number;
  logLevel: number;
  threads: number;
  ngTimeoutMs: number;
  pingIntervalMs: number;
  restartMaxMs: number;
  pidFile: string;
  dtmfLogPort: number;
}

/** Supervisor options from config; rtpengine's own media timeout follows `media.timeoutMs`. */
export function optionsFromConfig(r: RtpengineSection, mediaTimeoutMs: number, dtmfLogDest?: string): RtpengineOptions {
  const o: RtpengineOptions = {
    mode: r.mode, binary: r.binary, ngHost: r.ngHost, ngPort: r.ngPort, interfaceAddress: r.interface,
    portMin: r.portMin, portMax: r.portMax, logLevel: r.logLevel, ngTimeoutMs: r.ngTimeoutMs,
    pingIntervalMs: r.pingIntervalMs, restartMaxMs: r.restartMaxMs, pidFile: r.pidFile,
    // rtpengine drops a dead call itself a little after we would have ended it.
    mediaTimeoutS: mediaTimeoutMs > 0 ? Math.ceil(mediaTimeoutMs / 1000) + 30 : 3600,
  };
  if (r.advertisedAddress !== '') o.advertisedAddress = r.advertisedAddress;
  if (r.threads > 0) o.threads = r.threads;
  if (dtmfLogDest !== undefined) o.dtmfLogDest = dtmfLogDest;
  return o;
}
