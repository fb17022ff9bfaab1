// The daemon starts the embedded SIP edge from config and connects drachtio-srf to it: sipp's
// OPTIONS get the gateway's 200 (Allow/Accept/Supported) over UDP and TCP; `status`, `show sip`,
// /health and /metrics show the SIP subsystem and its counters. Loopback 127.0.21.1-2.
import t from 'tap';
import { DaemonProcess, daemonFiles, httpGet, runCli } from '../fixtures/daemon.js';
import { listenEnv, optionsScenario, sipPorts, sipp } from '../fixtures/sip.js';

const GW = '127.0.21.1';
const PEER = '127.0.21.2';

t.test('daemon answers OPTIONS over UDP and TCP and reports SIP', async (t) => {
  const f = daemonFiles(t);
  const d = DaemonProcess.start(t, ['run', '--config', f.config], { SPANGATE_SIP_LISTEN: listenEnv(GW) });
  const ready = await d.waitForEvent('ready');
  const ports = sipPorts(ready);
  t.ok(ports.udp && ports.tcp, `listening on udp ${ports.udp} and tcp ${ports.tcp}`);
  t.ok(d.lines.some((l) => l.event === 'sip-connected'), 'srf connected before ready');

  for (const proto of ['udp', 'tcp'] as const) {
    const r = await sipp(optionsScenario(200), proto, PEER, GW, ports[proto]!);
    t.equal(r.code, 0, `OPTIONS over ${proto} answered 200 with Allow: ${r.errors.slice(0, 1500)}`);
  }

  const st = await runCli(['status', '--socket', f.socket]);
  t.equal(st.code, 0, st.stderr);
  t.match(st.stdout, new RegExp(`sip +ok +embedded edge \\(worker\\) on udp/${GW.replace(/\./g, '\\.')}:${ports.udp} tcp/`));

  const show = await runCli(['show', 'sip', '--socket', f.socket]);
  t.equal(show.code, 0, show.stderr);
  t.match(show.stdout, /^sip: embedded edge in a worker thread, control 127\.0\.0\.1:\d+, srf connected$/m);
  t.match(show.stdout, `listen udp ${GW}:${ports.udp}`);
  t.match(show.stdout, `listen tcp ${GW}:${ports.tcp}`);
  t.match(show.stdout, /requests in by method: OPTIONS 2/);
  const json = JSON.parse((await runCli(['show', 'sip', '--json', '--socket', f.socket])).stdout) as Record<string, unknown>;
  t.match(json, { mode: 'embedded', runIn: 'worker', state: 'connected', connected: true, accepting: true, edge: { restarts: 0 } });

  const url = ready.metricsUrl as string;
  const health = JSON.parse((await httpGet(`${url}/health`)).body) as { subsystems: Record<string, { status: string }> };
  t.equal(health.subsystems.sip?.status, 'ok');
  const metrics = (await httpGet(`${url}/metrics`)).body;
  t.match(metrics, /^spangate_sip_up 1$/m);
  t.match(metrics, /^spangate_sip_requests_total\{direction="in",method="OPTIONS"\} 2$/m);
  t.match(metrics, /^spangate_sip_responses_total\{direction="out",method="OPTIONS",code="200"\} 2$/m);
  t.match(metrics, /^spangate_sip_dialogs 0$/m);
  t.match(metrics, /^spangate_sip_malformed_total\{action="dropped"\} 0$/m);

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});
