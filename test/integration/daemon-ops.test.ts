// The daemon with its call-core subsystems on a managed rtpengine (loopback 127.0.11.1, NG on
// a port free now, so runs in several checkouts at once do not collide; RTP 64100-64199): /health shows media up, /metrics has the rtpengine, call and CDR
// metrics, `route test` answers through the daemon and offline, `cdr` reads rows written
// through the store API, `show trunks|calls` answer, a bad routing reload keeps the old
// routing, a killed rtpengine is restarted and counted, and everything stops at the end.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { CallRecord } from '../../src/call/call.js';
import { CdrStore } from '../../src/cdr/store.js';
import { freeUdpPort } from '../../src/cli/demo/demo-config.js';
import { DaemonProcess, daemonFiles, httpGet, runCli } from '../fixtures/daemon.js';
import { waitUntil } from './support/gateway.js';

const IP = '127.0.11.1';

const ROUTING = {
  plan: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
  trunks: { carrier: { role: 'pstn', numberFormat: 'e164' }, pbx: { role: 'pbx', numberFormat: 'e164' }, teams: { role: 'uc', numberFormat: 'e164' } },
  sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }] }],
};

function rec(i: number): CallRecord {
  const at = Date.now() - i * 60_000;
  return {
    id: `it-${i}`, disposition: 'answered', cause: 16, causeText: 'Normal call clearing', endedBy: 'b',
    startedAt: at, answeredAt: at + 1500, endedAt: at + 31_500,
    a: { id: `a${i}`, kind: 'sip', trunk: 'carrier', calling: '+4989123', called: `+493055512${i}` },
    b: { id: `b${i}`, kind: 'sip', trunk: 'pbx', calling: '+4989123', called: `+493055512${i}` },
    attempts: [], bInAttempts: false, route: ['owner of +4930555100-+4930555199'],
    media: { a: { packetsIn: 1500, packetsOut: 1499, bytesIn: 258000, bytesOut: 257828, codec: 'PCMU' }, b: { packetsIn: 1499, packetsOut: 1500, bytesIn: 1, bytesOut: 1, codec: 'PCMU' } },
  };
}

t.test('daemon with managed rtpengine, routing, CDRs and the ops commands', async (t) => {
  const f = daemonFiles(t);
  const ng = await freeUdpPort(IP);
  const raw = {
    ...f.raw,
    sip: { trunks: { carrier: { addresses: ['127.0.11.9'] }, pbx: { addresses: ['127.0.11.8'], transport: 'tcp' }, teams: { addresses: ['127.0.11.7'] } } },
    media: { rtpengine: { ngHost: IP, ngPort: ng, interface: IP, portMin: 64100, portMax: 64199, pidFile: join(f.dir, 'rtpengine.pid'), pingIntervalMs: 500 } },
    routing: ROUTING,
  };
  const write = (r: unknown): void => writeFileSync(f.config, `${JSON.stringify(r, null, 2)}\n`);
  write(raw);

  const d = DaemonProcess.start(t, ['run', '--config', f.config]);
  const ready = await d.waitForEvent('ready');
  const url = ready.metricsUrl as string;
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

  // /health: media up with the managed rtpengine's pid.
  const health = JSON.parse((await httpGet(`${url}/health`)).body) as { status: string; subsystems: Record<string, { status: string; detail: string }> };
  t.equal(health.status, 'ok');
  t.equal(health.subsystems.media?.status, 'ok');
  t.match(health.subsystems.media?.detail, new RegExp(`^rtpengine up \\(managed at 127\\.0\\.11\\.1:${ng}, pid \\d+\\)`));
  t.match(health.subsystems.cdr, { status: 'ok', detail: join(f.stateDir, 'cdr.sqlite') });
  t.match(health.subsystems.routing, { status: 'ok', detail: /1 sites, 3 trunks \(generation 1\)/ });
  t.match(health.subsystems.calls, { status: 'ok', activeWork: 0 });
  const pid1 = Number(/pid (\d+)/.exec(health.subsystems.media!.detail)![1]);
  t.ok(existsSync(`/proc/${pid1}`), `rtpengine runs as pid ${pid1}`);

  let metrics = (await httpGet(`${url}/metrics`)).body;
  for (const re of [/^spangate_rtpengine_up 1$/m, /^spangate_rtpengine_sessions 0$/m, /^spangate_rtpengine_restarts_total 0$/m,
    /^spangate_calls_active 0$/m, /^# TYPE spangate_calls_attempts_total counter$/m, /^# TYPE spangate_calls_failed_total counter$/m,
    /^# TYPE spangate_calls_asr_ratio gauge$/m, /^spangate_cdr_records_total 0$/m]) {
    t.match(metrics, re);
  }

  // route test: through the daemon, and offline from the same file.
  const live = await runCli(['route', 'test', 'carrier', '+4930555123', '--calling', '+4989123', '--socket', f.socket]);
  t.equal(live.code, 0, live.stderr);
  t.match(live.stdout, /^ROUTE pbx:\+4930555123\n/);
  t.match(live.stdout, `(running daemon at ${f.socket})`);
  const offline = await runCli(['route', 'test', 'carrier', '+4930555123', '--calling', '+4989123', '--config', f.config]);
  t.equal(offline.code, 0, offline.stderr);
  t.equal(offline.stdout.split('\n(')[0], live.stdout.split('\n(')[0], 'same decision and reasons offline');

  // cdr: rows written through the store API into the daemon's own (open) database.
  const store = new CdrStore(join(f.stateDir, 'cdr.sqlite'));
  for (let i = 0; i < 3; i++) store.record(rec(i));
  store.close();
  const cdr = await runCli(['cdr', '--config', f.config, '--number', '+493055512*']);
  t.equal(cdr.code, 0, cdr.stderr);
  t.match(cdr.stdout, /it-0[\s\S]*it-1[\s\S]*it-2/);
  t.match(cdr.stdout, /3 shown of 3 matching; answered 3 \(ASR 100%\), ACD 30s/);

  // show trunks and calls.
  const trunks = await runCli(['show', 'trunks', '--socket', f.socket]);
  t.equal(trunks.code, 0, trunks.stderr);
  t.match(trunks.stdout, /carrier +sip\/udp +pstn +generic +127\.0\.11\.9/);
  t.match(trunks.stdout, /pbx +sip\/tcp +pbx/);
  // Nobody answers OPTIONS at 127.0.11.9: unknown until the pings time out, then down.
  t.match(trunks.stdout, /carrier: health (unknown|down), 0\/1 targets up/);
  const calls = await runCli(['show', 'calls', '--socket', f.socket]);
  t.equal(calls.stdout.trim(), 'no calls in progress');

  // A bad routing reload is refused and the running routing stays.
  write({ ...raw, routing: { ...ROUTING, routes: [{ id: 'broken', called: '+49*', targets: ['nowhere'] }] } });
  const refused = await runCli(['config', 'reload', '--socket', f.socket]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /routing\.routes/);
  const still = await runCli(['route', 'test', 'carrier', '+4930555123', '--socket', f.socket]);
  t.match(still.stdout, /^ROUTE pbx:/, 'old routing still in charge');
  // A good one moves the range to the UC server.
  write({ ...raw, routing: { ...ROUTING, sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'teams' }] }] } });
  const applied = await runCli(['config', 'reload', '--socket', f.socket]);
  t.equal(applied.code, 0, applied.stderr);
  t.match(applied.stdout, /applied .*routing\.sites/);
  const moved = await runCli(['route', 'test', 'carrier', '+4930555123', '--socket', f.socket]);
  t.match(moved.stdout, /^ROUTE teams:\+4930555123/);
  metrics = (await httpGet(`${url}/metrics`)).body;
  t.match(metrics, /spangate_config_reloads_total\{result="refused"\} 1/);
  t.match(metrics, /spangate_config_reloads_total\{result="applied"\} 1/);

  // rtpengine killed: restarted by the media subsystem, counted in /metrics. (Read its pid
  // again: on a loaded machine a missed ping may already have restarted it once.)
  // Up (with a pid) again first, if a missed ping had it restarted just now.
  const mediaDetail = async (): Promise<string> =>
    (JSON.parse((await httpGet(`${url}/health`)).body) as { subsystems: Record<string, { detail: string }> }).subsystems.media?.detail ?? '';
  let detail = '';
  await waitUntil(async () => /^rtpengine up .*pid \d+/.test(detail = await mediaDetail()), 'rtpengine up with a pid');
  const pidNow = Number(/pid (\d+)/.exec(detail)![1]);
  const restartsBefore = Number(/^spangate_rtpengine_restarts_total (\d+)$/m.exec((await httpGet(`${url}/metrics`)).body)?.[1] ?? 0);
  process.kill(pidNow, 'SIGKILL');
  await d.waitFor((l) => l.subsystem === 'media' && l.msg === 'rtpengine up' && typeof l.pid === 'number' && l.pid !== pidNow && l.pid !== pid1, 'rtpengine restarted');
  metrics = (await httpGet(`${url}/metrics`)).body;
  t.ok(Number(/^spangate_rtpengine_restarts_total (\d+)$/m.exec(metrics)?.[1]) > restartsBefore, 'the restart is counted');
  t.match(metrics, /^spangate_rtpengine_up 1$/m);
  const h2 = JSON.parse((await httpGet(`${url}/health`)).body) as { subsystems: Record<string, { status: string; detail: string }> };
  t.match(h2.subsystems.media, { status: 'ok', detail: /[1-9]\d* restarts/ });
  const pid2 = Number(/pid (\d+)/.exec(h2.subsystems.media!.detail)![1]);

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
  t.notOk(existsSync(`/proc/${pid2}`), 'rtpengine stopped with the daemon');
  t.notOk(existsSync(join(f.dir, 'rtpengine.pid')), 'its pid file removed');
});
