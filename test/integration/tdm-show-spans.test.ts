// `spangate show spans` against a daemon started with a tdm config: two E1 spans of the daemon
// wired back to back (network side and user side), D-channels up, alarms clear; status and
// /metrics report them; the spans close on SIGTERM.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { DaemonProcess, daemonFiles, httpGet, runCli } from '../fixtures/daemon.js';

const span = (id: string, side: 'network' | 'user', port: number, peer: number) => ({
  id, type: 'e1', side, switchtype: 'euroisdn', trunk: id === 'net' ? 'pstn' : 'pbx', country: 'de',
  localAddress: '127.0.10.7', localPort: port, remoteAddress: '127.0.10.7', remotePort: peer,
});

t.test('show spans on a running daemon', async (t) => {
  const f = daemonFiles(t);
  writeFileSync(f.config, `${JSON.stringify({ ...f.raw, tdm: { spans: [span('net', 'network', 62040, 62041), span('usr', 'user', 62041, 62040)] } }, null, 2)}\n`);
  const d = DaemonProcess.start(t, ['run', '--config', f.config]);
  const ready = await d.waitForEvent('ready');
  const up = (id: string) => d.waitFor((l) => l.span === id && l.msg === 'D-channel up', `D-channel up on ${id}`);
  const clear = (id: string) => d.waitFor((l) => l.span === id && l.msg === 'span alarm cleared', `alarm cleared on ${id}`);
  await Promise.all([up('net'), up('usr'), clear('net'), clear('usr')]);

  const js = await runCli(['show', 'spans', '--config', f.config, '--json']);
  t.equal(js.code, 0, js.stderr);
  const spans = JSON.parse(js.stdout) as { id: string; dchannel: string; alarms: string[]; channels: number; local: string; counters: { rxPackets: number } }[];
  t.match(spans, [
    { id: 'net', type: 'e1', side: 'network', switchtype: 'euroisdn', trunk: 'pstn', dchannel: 'up', alarms: [], channels: 30, inUse: 0, local: '127.0.10.7:62040', remote: '127.0.10.7:62041' },
    { id: 'usr', side: 'user', trunk: 'pbx', dchannel: 'up', alarms: [], channels: 30 },
  ]);
  t.ok(spans[0]!.counters.rxPackets > 0, 'packets flow');

  const text = await runCli(['show', 'spans', '--socket', f.socket]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /^span net \(E1 network euroisdn, trunk pstn\): D-channel up, alarms none, channels 0\/30 in use$/m);
  t.match(text.stdout, /^span usr \(E1 user euroisdn, trunk pbx\): D-channel up, alarms none, channels 0\/30 in use$/m);
  t.match(text.stdout, /^ {2}line 127\.0\.10\.7:62040 <-> 127\.0\.10\.7:62041: rx \d+ tx \d+ lost \d+ slips \d+/m);

  const st = await runCli(['status', '--socket', f.socket]);
  t.match(st.stdout, /tdm +ok +2 of 2 spans up/);
  const m = await httpGet(`${String(ready.metricsUrl)}/metrics`);
  t.match(m.body, /spangate_tdm_span_dchannel_up\{span="net"\} 1/);
  t.match(m.body, /spangate_tdm_span_dchannel_up\{span="usr"\} 1/);
  t.match(m.body, /spangate_tdm_span_alarm\{span="usr",alarm="los"\} 0/);

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});

t.test('a bad span config refuses to start with the key and reason', async (t) => {
  const f = daemonFiles(t);
  writeFileSync(f.config, `${JSON.stringify({ ...f.raw, tdm: { spans: [{ ...span('x', 'user', 62042, 62043), switchtype: 'ess6' }] } }, null, 2)}\n`);
  const r = await runCli(['config', 'validate', f.config]);
  t.equal(r.code, 2);
  t.match(r.stderr, /tdm\.spans: span x: switchtype must be one of national, dms100, 4ess, 5ess, euroisdn, qsig/);
});
