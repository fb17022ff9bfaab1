// `spangate demo` runs the daemon on the embedded defaults (environment overrides apply; no
// config file is read) plus its demo network, says where metrics and admin are, and stops on
// Ctrl-C with exit 0 (the calls it places are covered by demo-calls.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DaemonProcess, httpGet, runCli, testNet } from '../fixtures/daemon.js';
import { tmpDir } from '../fixtures/tmp.js';

t.test('demo on embedded defaults', async (t) => {
  const dir = tmpDir(t);
  // A config file that would break start-up if it were read.
  const trap = join(dir, 'spangate.json');
  writeFileSync(trap, '{"not": "valid"}');
  const env = {
    SPANGATE_CONFIG: trap,
    SPANGATE_PID_FILE: join(dir, 'spangate.pid'),
    SPANGATE_STATE_DIR: join(dir, 'state'),
    SPANGATE_ADMIN_SOCKET: join(dir, 'admin.sock'),
    SPANGATE_METRICS_PORT: '0',
  };
  const d = DaemonProcess.start(t, ['demo', '--address', `${testNet(23)}.225`], env);
  const ready = await d.waitForEvent('ready');
  t.equal(ready.configFile, null, 'no config file read');
  const banner = await d.waitForStderr(/stop: +Ctrl-C/);
  t.match(banner, /embedded defaults plus a demo network/);
  t.match(banner, `admin:    ${join(dir, 'admin.sock')}`);
  t.match(banner, /sip: +udp\/127\.0\.0\.1:\d+ +tcp\/127\.0\.0\.1:\d+ /, 'SIP on loopback ephemeral ports');
  const gwAddr = `${testNet(23)}.225`.replace(/\./g, '\\.');
  t.match(banner, new RegExp(`pstn: +PRI span pstn1 \\(T1, National ISDN 2, user side\\) ${gwAddr}:\\d+ ⇄ PSTN simulator ${gwAddr}:\\d+`), 'a PRI span toward a simulated PSTN');
  const url = /metrics: +(http:\/\/\S+)\/metrics/.exec(banner)?.[1];
  t.ok(url, 'banner says where metrics are');
  t.match((await httpGet(`${url}/metrics`)).body, /spangate_build_info/);
  const st = await runCli(['status', '--socket', join(dir, 'admin.sock')]);
  t.match(st.stdout, /running \(health ok\)/);
  t.match(st.stdout, /config: +\(embedded defaults \+ environment\)/);
  t.match(st.stdout, /tdm +ok +1 of 1 spans up/, 'the PRI span is up');
  d.kill('SIGINT');
  t.same(await d.exited, { code: 0, signal: null });
});
