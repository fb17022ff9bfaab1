// sip.edge.mode external: the daemon connects drachtio-srf to a SIP server it does not run (a
// standalone edge from src/sip/edge/main.ts stands in for a real drachtio-server) with the
// configured host, port and secret. OPTIONS to that server are answered by the daemon; when the
// server goes away the daemon reports SIP down and reconnects once it is back.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DaemonProcess, ROOT, WAIT_MS, daemonFiles, httpGet, runCli } from '../fixtures/daemon.js';
import { optionsScenario, sipp } from '../fixtures/sip.js';
import { tmpDir } from '../fixtures/tmp.js';

const SERVER = '127.0.21.7';
const PEER = '127.0.21.8';
const SIP_PORT = 21760;
const CONTROL_PORT = 21722;
const SECRET = 'external-test-secret';

/** Starts the standalone edge; resolves once it prints its ready line. */
function startServer(t: { teardown(fn: () => void | Promise<void>): void }, optsFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/sip/edge/main.js'), optsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`standalone edge not ready: ${out}`)), WAIT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('sip-edge ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`standalone edge exited ${code}: ${out}`));
    });
  });
}

t.test('external mode: srf connects to a standalone server, answers OPTIONS, reconnects', async (t) => {
  const dir = tmpDir(t);
  const optsFile = join(dir, 'edge.json');
  writeFileSync(optsFile, JSON.stringify({
    sip: [{ proto: 'udp', host: SERVER, port: SIP_PORT }, { proto: 'tcp', host: SERVER, port: SIP_PORT }],
    control: { host: SERVER, port: CONTROL_PORT, secret: SECRET },
    version: 'v1.0.0-spangate',
  }));
  let server = await startServer(t, optsFile);

  const f = daemonFiles(t, { daemon: { drainTimeoutMs: 5_000 } });
  const d = DaemonProcess.start(t, ['run', '--config', f.config], {
    SPANGATE_SIP_EDGE_MODE: 'external',
    SPANGATE_SIP_EXTERNAL_HOST: SERVER,
    SPANGATE_SIP_EXTERNAL_PORT: String(CONTROL_PORT),
    SPANGATE_SIP_EXTERNAL_SECRET: SECRET,
    SPANGATE_SIP_RESTART_MAX_MS: '1000',
  });
  const ready = await d.waitForEvent('ready');
  t.same(ready.sipListeners, [`udp/${SERVER}:${SIP_PORT}`, `tcp/${SERVER}:${SIP_PORT}`], 'listeners as the server reports them');
  t.match(await d.waitForEvent('sip-connected'), { mode: 'external', control: `${SERVER}:${CONTROL_PORT}` });

  const r1 = await sipp(optionsScenario(200), 'udp', PEER, SERVER, SIP_PORT);
  t.equal(r1.code, 0, `OPTIONS through the external server answered by the daemon: ${r1.errors.slice(0, 1000)}`);
  const show = await runCli(['show', 'sip', '--socket', f.socket]);
  t.match(show.stdout, new RegExp(`^sip: external drachtio-server, control ${SERVER.replace(/\./g, '\\.')}:${CONTROL_PORT}, srf connected$`, 'm'));
  t.notMatch(show.stdout, /secret/);

  // The server goes away: SIP down; back on the same address: reconnected, OPTIONS answered.
  server.kill('SIGTERM');
  await d.waitForEvent('sip-disconnected');
  const health = JSON.parse((await httpGet(`${ready.metricsUrl as string}/health`)).body) as { subsystems: Record<string, { status: string }> };
  t.equal(health.subsystems.sip?.status, 'down', 'health says SIP is down while the server is away');
  const seen = d.lines.length;
  server = await startServer(t, optsFile);
  await d.waitFor((l) => l.event === 'sip-connected' && d.lines.indexOf(l) >= seen, 'reconnected');
  const r2 = await sipp(optionsScenario(200), 'tcp', PEER, SERVER, SIP_PORT);
  t.equal(r2.code, 0, `OPTIONS answered after the reconnection: ${r2.errors.slice(0, 1000)}`);
  const v = JSON.parse((await runCli(['show', 'sip', '--json', '--socket', f.socket])).stdout) as Record<string, unknown>;
  t.match(v, { mode: 'external', connected: true, edge: null, stats: null });
  t.ok((v.reconnects as number) >= 1);

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});
