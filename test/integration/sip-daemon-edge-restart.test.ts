// The SIP edge as a child process (sip.edge.runIn: child) is killed with SIGKILL: the daemon
// logs it, reports SIP down, starts a new edge on the same configured ports, connects a new
// srf, and OPTIONS are answered again; `show sip` counts the restart. (A worker thread cannot
// be killed from outside the process; its exit goes through the same path: unit-tested.)
import t from 'tap';
import { DaemonProcess, daemonFiles, runCli } from '../fixtures/daemon.js';
import { optionsScenario, sipp } from '../fixtures/sip.js';
import type { SipView } from '../../src/sip/subsystem.js';

const GW = '127.0.21.5';
const PEER = '127.0.21.6';
// Fixed ports (from this test's block), so the restarted edge comes back where peers send.
const PORT = 21560;

t.test('a killed edge process is restarted and OPTIONS are answered again', async (t) => {
  const f = daemonFiles(t, { daemon: { drainTimeoutMs: 5_000 } });
  const d = DaemonProcess.start(t, ['run', '--config', f.config], {
    SPANGATE_SIP_LISTEN: JSON.stringify([{ proto: 'udp', host: GW, port: PORT }, { proto: 'tcp', host: GW, port: PORT }]),
    SPANGATE_SIP_EDGE_RUN_IN: 'child',
  });
  await d.waitForEvent('ready');
  const first = await sipp(optionsScenario(200), 'udp', PEER, GW, PORT);
  t.equal(first.code, 0, `OPTIONS answered before the kill: ${first.errors.slice(0, 1000)}`);

  const view = async (): Promise<SipView> => JSON.parse((await runCli(['show', 'sip', '--json', '--socket', f.socket])).stdout) as SipView;
  const before = await view();
  t.match(before, { runIn: 'child', connected: true, edge: { restarts: 0 } });
  const pid = before.edge!.pid!;
  t.ok(pid > 0 && pid !== d.pid, `edge runs as its own process ${pid}`);

  process.kill(pid, 'SIGKILL');
  const exit = await d.waitForEvent('sip-edge-exit');
  t.match(exit.reason, /sip edge process exited \(SIGKILL\)/);
  const restarted = await d.waitFor((l) => l.event === 'sip-edge-started' && l.pid !== pid, 'a new edge');
  t.not(restarted.pid, pid);
  await d.waitFor((l) => l.event === 'sip-connected' && d.lines.indexOf(l) > d.lines.indexOf(restarted), 'srf connected to the new edge');

  for (const proto of ['udp', 'tcp'] as const) {
    const r = await sipp(optionsScenario(200), proto, PEER, GW, PORT);
    t.equal(r.code, 0, `OPTIONS over ${proto} answered after the restart: ${r.errors.slice(0, 1000)}`);
  }
  const after = await view();
  t.match(after, { connected: true, state: 'connected', edge: { pid: restarted.pid, restarts: 1 }, reconnects: 1 });
  t.ok((after.stats?.['req|in|OPTIONS'] ?? 0) >= 3, 'counts carried over the restart');
  const st = await runCli(['status', '--socket', f.socket]);
  t.match(st.stdout, /sip +ok +embedded edge \(child\)/);

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
  t.throws(() => process.kill(restarted.pid as number, 0), 'the edge process is gone after stop');
});
