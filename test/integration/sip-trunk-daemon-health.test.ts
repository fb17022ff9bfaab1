// The whole daemon keeps OPTIONS keepalive to a trunk's targets through its own SIP edge and
// srf: a sipp UAS on 127.0.24.13 answers, nothing listens on 127.0.24.14. `show trunks` then
// shows the trunk up with its round trip and says which target is down and why; /metrics has
// the trunk and target gauges.
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { DaemonProcess, daemonFiles, httpGet, runCli } from '../fixtures/daemon.js';
import { OPTIONS_UAS, sipp } from '../fixtures/sip-trunks.js';

const GW = '127.0.24.2';
const UP = '127.0.24.13';
const DOWN = '127.0.24.14';

t.test('daemon: OPTIONS health of a SIP trunk in show trunks and /metrics', async (t) => {
  sipp(t, OPTIONS_UAS, ['-t', 'u1', '-i', UP, '-p', '24013', '-timeout', '300']);
  const f = daemonFiles(t);
  const raw = {
    ...f.raw,
    sip: {
      trunks: {
        carrier: { addresses: [`${DOWN}:24014`, `${UP}:24013`], options: { intervalS: 1, timeoutMs: 3000, downAfter: 2, upAfter: 1 } },
      },
    },
    media: { rtpengine: { ngHost: GW, ngPort: 24005, interface: GW, portMin: 24700, portMax: 24799, pidFile: join(f.dir, 'rtpengine.pid') } },
  };
  writeFileSync(f.config, `${JSON.stringify(raw, null, 2)}\n`);
  const d = DaemonProcess.start(t, ['run', '--config', f.config], { SPANGATE_SIP_LISTEN: JSON.stringify([{ proto: 'udp', host: GW, port: 0 }]) });
  const ready = await d.waitForEvent('ready');
  await d.waitFor((l) => l.subsystem === 'trunks' && l.msg === 'trunk target up' && l.target === `${UP}:24013/udp`, 'answering target up', 90_000);
  await d.waitFor((l) => l.subsystem === 'trunks' && l.msg === 'trunk target down' && l.target === `${DOWN}:24014/udp`, 'silent target down', 90_000);

  const json = await runCli(['show', 'trunks', '--json', '--socket', f.socket]);
  t.equal(json.code, 0, json.stderr);
  const [carrier] = JSON.parse(json.stdout) as { id: string; health: { state: string; detail: string; rttMs?: number } }[];
  t.match(carrier, { id: 'carrier', health: { state: 'up', detail: /^1\/2 targets up; 127\.0\.24\.14:24014\/udp down: / } });
  t.ok((carrier?.health.rttMs ?? -1) >= 0, 'round trip shown');
  const text = await runCli(['show', 'trunks', '--socket', f.socket]);
  t.match(text.stdout, /carrier +sip\/udp +.* up \d+ms/);

  const metrics = (await httpGet(`${ready.metricsUrl as string}/metrics`)).body;
  t.match(metrics, /spangate_sip_trunk_up\{trunk="carrier"\} 1/);
  t.match(metrics, /spangate_sip_target_up\{trunk="carrier",target="127\.0\.24\.13:24013\/udp"\} 1/);
  t.match(metrics, /spangate_sip_target_up\{trunk="carrier",target="127\.0\.24\.14:24014\/udp"\} 0/);
  t.match(metrics, /spangate_sip_options_rtt_seconds_count\{trunk="carrier"\} [1-9]/);

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});
