import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { AdminMethods } from '../../../src/admin/index.js';
import { loadConfigObject, type SpangateConfig } from '../../../src/config/index.js';
import { Daemon, PidLock, type Subsystem } from '../../../src/daemon/index.js';
import { ConfigError } from '../../../src/errors.js';
import { LogManager } from '../../../src/log/index.js';
import { tmpDir, type Teardown } from '../../fixtures/tmp.js';

/** A subsystem with "calls" that end when the test says so. */
class FakeSubsystem implements Subsystem {
  active = 0;
  failStart = false;
  failReload = false;
  reloads: SpangateConfig[] = [];
  private ended: (() => void) | undefined;
  drainStarted: Promise<number>;
  private drainCalled!: (deadline: number) => void;

  constructor(readonly name: string, private readonly events: string[]) {
    this.drainStarted = new Promise((r) => (this.drainCalled = r));
  }
  async start(): Promise<void> {
    if (this.failStart) throw new Error(`${this.name} cannot start`);
    this.events.push(`start ${this.name}`);
  }
  reload(config: SpangateConfig): void {
    if (this.failReload) throw new Error(`${this.name} refuses`);
    this.reloads.push(config);
  }
  drain(deadline: number): Promise<void> {
    this.events.push(`drain ${this.name}`);
    this.drainCalled(deadline);
    if (this.active === 0) return Promise.resolve();
    return new Promise((r) => (this.ended = r));
  }
  endCalls(): void {
    this.active = 0;
    this.ended?.();
  }
  async stop(): Promise<void> {
    this.events.push(`stop ${this.name}`);
  }
  activeWork(): number {
    return this.active;
  }
  health() {
    return { status: this.active > 5 ? ('degraded' as const) : ('ok' as const) };
  }
}

function setup(t: Teardown, raw: Record<string, unknown> = {}) {
  const dir = tmpDir(t);
  const pidFile = join(dir, 'spangate.pid');
  const base = { daemon: { pidFile, stateDir: dir, drainTimeoutMs: 60_000 }, admin: { socket: join(dir, 'a.sock') } };
  const daemonRaw = (raw.daemon ?? {}) as Record<string, unknown>;
  const config = loadConfigObject({ ...base, ...raw, daemon: { ...base.daemon, ...daemonRaw } }, { env: {} });
  let next: () => SpangateConfig = () => config;
  const events: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const logs = new LogManager({ level: 'debug', subsystems: {} }, { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const a = new FakeSubsystem('alpha', events);
  const b = new FakeSubsystem('beta', events);
  const methods = new AdminMethods();
  const outcomes: string[] = [];
  const daemon = new Daemon({
    config, configFile: join(dir, 'c.json'), readConfig: () => ({ config: next(), file: join(dir, 'c.json') }), subsystems: [a, b],
    lock: new PidLock(pidFile, logs.child('daemon')), admin: methods, log: logs.child('daemon'), version: '0.0.0-test',
    onReload: (r) => outcomes.push(r),
  });
  t.teardown(() => daemon.shutdown('test teardown'));
  return {
    daemon, a, b, events, lines, methods, pidFile, config, outcomes, base, file: join(dir, 'c.json'),
    setNext: (fn: () => SpangateConfig) => (next = fn),
  };
}

t.test('starts in order behind the lock, stops in reverse, exits 0', async (t) => {
  const s = setup(t);
  await s.daemon.start();
  t.equal(s.daemon.state, 'running');
  t.ok(existsSync(s.pidFile));
  t.ok(s.lines.some((l) => l.event === 'ready'));
  t.equal(s.daemon.healthReport().status, 'ok');
  await s.daemon.shutdown('SIGTERM');
  t.equal(await s.daemon.done, 0);
  t.same(s.events, ['start alpha', 'start beta', 'drain alpha', 'drain beta', 'stop beta', 'stop alpha']);
  t.notOk(existsSync(s.pidFile), 'lock released');
  t.equal(s.daemon.state, 'stopped');
  t.ok(s.lines.some((l) => l.event === 'stopped'));
});

t.test('drain waits for active work before stopping', async (t) => {
  const s = setup(t);
  await s.daemon.start();
  s.a.active = 2;
  const stopped = s.daemon.shutdown('SIGTERM');
  const deadline = await s.a.drainStarted;
  t.ok(deadline > Date.now(), 'subsystems get an absolute deadline in the future');
  t.equal(s.daemon.state, 'draining');
  t.equal(s.daemon.healthReport().status, 'draining');
  t.match(s.daemon.status(), { state: 'draining', activeWork: 2 });
  t.notOk(s.events.includes('stop alpha'), 'not stopped while calls are up');
  s.a.endCalls();
  await stopped;
  t.ok(s.events.includes('stop alpha'));
  t.equal(await s.daemon.done, 0);
});

t.test('drain gives up at daemon.drainTimeoutMs', async (t) => {
  const s = setup(t, { daemon: { drainTimeoutMs: 50 } });
  t.equal(s.config.daemon.pidFile, s.pidFile);
  await s.daemon.start();
  s.b.active = 1;
  await s.daemon.shutdown('SIGTERM');
  t.equal(await s.daemon.done, 0);
  t.ok(s.lines.some((l) => l.activeWork === 1 && /drain limit reached/.test(String(l.msg))));
});

t.test('a second stop request cuts the drain short', async (t) => {
  const s = setup(t);
  await s.daemon.start();
  s.a.active = 1;
  const first = s.daemon.shutdown('SIGTERM');
  await s.a.drainStarted;
  const second = s.daemon.shutdown('SIGINT');
  await Promise.all([first, second]);
  t.equal(await s.daemon.done, 0);
});

t.test('reload applies reloadable keys and reports restart-required ones', async (t) => {
  const s = setup(t);
  await s.daemon.start();
  s.setNext(() => loadConfigObject({ ...s.base, log: { level: 'debug' }, metrics: { port: 9999 } }, { env: {} }));
  const r = await s.daemon.reload();
  t.same(r, { applied: ['log.level'], restartRequired: ['metrics.port'], file: s.file });
  t.equal(s.daemon.config.log.level, 'debug');
  t.equal(s.daemon.config.metrics.port, s.config.metrics.port, 'restart-required key keeps the running value');
  t.equal(s.a.reloads[0]!.log.level, 'debug');
  t.ok(Object.isFrozen(s.a.reloads[0]));
  t.match(s.daemon.status(), { pendingRestart: ['metrics.port'] });
  t.same(s.outcomes, ['applied']);
  t.ok(s.lines.some((l) => l.event === 'reloaded'));
});

t.test('a bad config on reload keeps the running config and logs why', async (t) => {
  const s = setup(t);
  await s.daemon.start();
  s.setNext(() => {
    throw new ConfigError('c.json: metrics.prot: unknown key', { file: 'c.json', path: 'metrics.prot', reason: 'unknown key' });
  });
  await t.rejects(s.daemon.reload(), ConfigError);
  t.equal(s.daemon.config, s.config);
  t.same(s.a.reloads, []);
  t.match(s.lines.find((l) => l.event === 'reload-failed'), { file: 'c.json', path: 'metrics.prot', reason: 'unknown key' });
  t.same(s.outcomes, ['refused']);
  t.equal(s.daemon.state, 'running');
});

t.test('a subsystem refusing a reload rolls the others back', async (t) => {
  const s = setup(t);
  await s.daemon.start();
  s.b.failReload = true;
  s.setNext(() => loadConfigObject({ ...s.base, log: { level: 'warn' } }, { env: {} }));
  await t.rejects(s.daemon.reload(), /beta refuses/);
  t.same(s.a.reloads.map((c) => c.log.level), ['warn', 'info'], 'alpha got the new config, then the old one back');
  t.equal(s.daemon.config.log.level, 'info');
});

t.test('a failed start stops what started and releases the lock', async (t) => {
  const s = setup(t);
  s.b.failStart = true;
  await t.rejects(s.daemon.start(), /beta cannot start/);
  t.same(s.events, ['start alpha', 'stop alpha']);
  t.notOk(existsSync(s.pidFile));
  t.equal(s.daemon.state, 'stopped');
});

t.test('signals: SIGHUP reloads, SIGTERM drains', async (t) => {
  const s = setup(t);
  await s.daemon.start();
  const proc = new EventEmitter();
  const off = s.daemon.installSignalHandlers(proc);
  let reloaded!: () => void;
  const gotReload = new Promise<void>((r) => (reloaded = r));
  s.setNext(() => {
    reloaded();
    return s.config;
  });
  proc.emit('SIGHUP');
  await gotReload;
  proc.emit('SIGTERM', 'SIGTERM');
  t.equal(await s.daemon.done, 0);
  off();
  t.equal(proc.listenerCount('SIGTERM'), 0);
});

t.test('admin methods: status, config.get, config.reload', async (t) => {
  const s = setup(t);
  await s.daemon.start();
  const ctx = { signal: new AbortController().signal };
  t.match(await s.methods.get('status')!({}, ctx), {
    version: '0.0.0-test', pid: process.pid, state: 'running', health: 'ok',
    subsystems: { alpha: { status: 'ok', activeWork: 0 }, beta: { status: 'ok' } },
  });
  t.match(await s.methods.get('config.get')!({}, ctx), { config: { log: { level: 'info' } }, pendingRestart: [] });
  t.same(await s.methods.get('config.reload')!({}, ctx), { applied: [], restartRequired: [], file: s.file });
});
