// A SIGKILLed daemon takes its children with it: the managed rtpengine and the SIP edge process
// (sip.edge.runIn: child) are spawned through setpriv --pdeathsig (src/process/spawn-tied.ts),
// so the kernel kills them when the daemon dies without a chance to stop them. And an rtpengine
// that an earlier daemon left on our NG port (pid file) is stopped at start, with a log line.
// Addresses: 127.0.26.1-2, ports 26000-26299 (this file's block).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { processAlive } from '../../src/process/spawn-tied.js';
import { DaemonProcess, daemonFiles, httpGet, type DaemonFiles } from '../fixtures/daemon.js';

const IP = '127.0.26.1';
const TRUNKS = { trunks: { peer: { addresses: ['127.0.26.2'] } } };

/** Bounded poll on the pid disappearing (zombies count as gone). */
async function gone(pid: number, timeoutMs = 30_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

function killLater(t: { teardown(fn: () => void): void }, pid: number): void {
  t.teardown(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
}

function config(f: DaemonFiles, ngPort: number, pidFile: string): void {
  const raw = {
    ...f.raw,
    sip: TRUNKS,
    media: { rtpengine: { ngHost: IP, ngPort, interface: IP, portMin: ngPort + 100, portMax: ngPort + 199, pidFile } },
  };
  writeFileSync(f.config, `${JSON.stringify(raw, null, 2)}\n`);
}

async function rtpenginePid(metricsUrl: string): Promise<number> {
  const health = JSON.parse((await httpGet(`${metricsUrl}/health`)).body) as { subsystems: Record<string, { detail: string }> };
  const m = /pid (\d+)/.exec(health.subsystems.media?.detail ?? '');
  if (!m) throw new Error(`no rtpengine pid in ${JSON.stringify(health.subsystems.media)}`);
  return Number(m[1]);
}

t.test('SIGKILL of the daemon kills its managed rtpengine and its edge process', async (t) => {
  const f = daemonFiles(t);
  config(f, 26000, join(f.dir, 'rtpengine.pid'));
  const d = DaemonProcess.start(t, ['run', '--config', f.config], { SPANGATE_SIP_EDGE_RUN_IN: 'child' });
  const ready = await d.waitForEvent('ready');
  const rtp = await rtpenginePid(ready.metricsUrl as string);
  killLater(t, rtp);
  const edge = Number((await d.waitForEvent('sip-edge-started')).pid);
  killLater(t, edge);
  t.ok(processAlive(rtp) && processAlive(edge), `rtpengine ${rtp} and edge ${edge} run`);
  t.not(edge, d.pid, 'the edge is its own process');

  d.kill('SIGKILL');
  t.same(await d.exited, { code: null, signal: 'SIGKILL' });
  t.ok(await gone(rtp), `rtpengine (pid ${rtp}) died with the daemon`);
  t.ok(await gone(edge), `the edge process (pid ${edge}) died with the daemon`);
});

t.test('a stale rtpengine on our NG port (pid file) is stopped at start and replaced', async (t) => {
  const f = daemonFiles(t);
  const pidFile = join(f.dir, 'rtpengine.pid');
  const ng = 26200;
  // What an earlier daemon that could not take it along would have left: our command line.
  const stale = spawn('rtpengine', ['--foreground', '--config-file=none', '--table=-1', `--interface=${IP}`, `--listen-ng=${IP}:${ng}`,
    `--port-min=${ng + 50}`, `--port-max=${ng + 99}`, `--pidfile=${pidFile}`, '--log-level=3'], { stdio: 'ignore' });
  killLater(t, stale.pid!);
  const staleExit = new Promise<void>((r) => stale.once('exit', () => r()));
  const end = Date.now() + 30_000;
  const pidInFile = (): string => { try { return readFileSync(pidFile, 'utf8').trim(); } catch { return ''; } };
  while (pidInFile() !== String(stale.pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  t.equal(pidInFile(), String(stale.pid), 'the stale rtpengine wrote the pid file');

  config(f, ng, pidFile);
  const d = DaemonProcess.start(t, ['run', '--config', f.config]);
  const ready = await d.waitForEvent('ready');
  const line = await d.waitFor((l) => /^stopping stale rtpengine/.test(String(l.msg)), 'the stale rtpengine log line');
  t.match(line, { level: 'warn', pid: stale.pid, pidFile, ng: `${IP}:${ng}` });
  await staleExit;
  const ours = await rtpenginePid(ready.metricsUrl as string);
  killLater(t, ours);
  t.not(ours, stale.pid, 'our own rtpengine runs now');
  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
  t.ok(await gone(ours), 'and stops with the daemon');
});
