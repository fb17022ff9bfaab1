// The whole daemon places a SIP⇄SIP call: config-driven trunks (ACL on the caller's address,
// the callee as the carrier's address), an explicit route, a managed rtpengine, the embedded
// edge and the SIP gateway wired in src/main.ts. sipp UAC → daemon → sipp UAS (echo), BYE;
// `spangate cdr` shows the answered call with both legs.
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { DaemonProcess, daemonFiles, runCli } from '../fixtures/daemon.js';
import { sipPorts } from '../fixtures/sip.js';
import { runSipp } from '../unit/sip/edge/transaction/mini-uas.js';
import { PCAP_PCMA, uacScenario, uasScenario } from '../fixtures/sip-gateway.js';

const GW = '127.0.22.5';
const UAC = '127.0.22.14';
const UAS = '127.0.22.24';

t.test('daemon: sipp → trunk pbx → route → trunk carrier → sipp, RTP through its rtpengine, CDR', async (t) => {
  const f = daemonFiles(t);
  const raw = {
    ...f.raw,
    sip: {
      trunks: {
        pbx: { acl: [`${UAC}/32`], options: { enabled: false } },
        carrier: { addresses: [`${UAS}:22024`], numberFormat: 'national', options: { enabled: false } },
      },
    },
    media: { rtpengine: { ngHost: GW, ngPort: 22005, interface: GW, portMin: 22700, portMax: 22799, pidFile: join(f.dir, 'rtpengine.pid') } },
    routing: {
      plan: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
      trunks: { pbx: { role: 'pbx' }, carrier: { role: 'pstn' } },
      routes: [{ id: 'out', fromTrunk: ['pbx'], targets: ['carrier'] }],
    },
  };
  writeFileSync(f.config, `${JSON.stringify(raw, null, 2)}\n`);
  const d = DaemonProcess.start(t, ['run', '--config', f.config], { SPANGATE_SIP_LISTEN: JSON.stringify([{ proto: 'udp', host: GW, port: 0 }]) });
  const ready = await d.waitForEvent('ready');
  const port = sipPorts(ready).udp!;
  const uas = runSipp(uasScenario(200), ['-t', 'u1', '-i', UAS, '-p', '22024', '-mp', '22810', '-rtp_echo', '-m', '1', '-timeout', '60', '-timeout_error'], 90_000);
  const uac = await runSipp(uacScenario({ answered: true, holdMs: 3000, pcap: PCAP_PCMA }),
    ['-t', 'u1', '-i', UAC, '-p', '22014', '-mp', '22800', '-m', '1', '-timeout', '60', '-timeout_error', `${GW}:${port}`], 90_000);
  const uasRes = await uas;
  t.equal(uac.code, 0, `caller's sipp succeeded ${uac.errors.slice(0, 1500)}`);
  t.equal(uasRes.code, 0, `callee's sipp succeeded ${uasRes.errors.slice(0, 1500)}`);
  await d.waitFor((l) => l.msg === 'call ended', 'call ended log');
  const cdr = await runCli(['cdr', '--json', '--db', join(f.stateDir, 'cdr.sqlite')]);
  t.equal(cdr.code, 0, cdr.stderr);
  const rows = JSON.parse(cdr.stdout) as Record<string, unknown>[];
  t.equal(rows.length, 1, 'one CDR row');
  t.match(rows[0], { disposition: 'answered', cause: 16 });
  t.match(JSON.stringify(rows[0]), /carrier/);
  t.match(JSON.stringify(rows[0]), /030555200/, 'the carrier leg got the national number');
  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});
