// The README's main command, `spangate demo`, with --once: the daemon on its defaults plus the
// demo network (sipp peers behind a "pbx" and a "uc" trunk on loopback, a PRI span toward a
// PSTN simulator), four calls through the gateway with RTP through rtpengine (one from the PSTN
// over PRI, with a tone and DTMF across), a summary, exit. The summary must show the calls as
// they happened, and the CDR store (read with `spangate cdr --json`) must agree with it.
import { join } from 'node:path';
import t from 'tap';
import { runCli, testNet } from '../fixtures/daemon.js';
import { tmpDir } from '../fixtures/tmp.js';
import { cliCdrs } from './support/records.js';

t.test('spangate demo --once: four calls (one from the PSTN over PRI), a summary, CDRs that agree', async (t) => {
  const dir = tmpDir(t);
  const env = {
    SPANGATE_PID_FILE: join(dir, 'spangate.pid'),
    SPANGATE_STATE_DIR: join(dir, 'state'),
    SPANGATE_ADMIN_SOCKET: join(dir, 'admin.sock'),
    SPANGATE_METRICS_PORT: '0',
  };
  const r = await runCli(['demo', '--once', '--address', `${testNet(23)}.241`], env, 180_000);
  t.equal(r.code, 0, `demo --once exit code; stderr: ${r.stderr.slice(-3000)}`);
  const s = r.stderr;
  t.match(s, /4 calls through the gateway/);
  t.match(s, /4 of 4 calls went as expected/);
  t.match(s, /\+15551001001 \(pbx\) → \+15552001001 \(uc\): answered, [\d.]+ s, cause 16/);
  t.match(s, /codecs: PCMU on pbx, G722 on uc/, 'the first call was transcoded');
  t.match(s, /\+15552001002 \(uc\) → \+15551001002 \(pbx\): answered/);
  t.match(s, /codecs: PCMU on uc, PCMU on pbx/);
  // A number no site owns goes out to the PSTN over the demo's PRI span; the simulated PSTN has
  // no such number (1), which the SIP caller gets as 404.
  t.match(s, /\+15559990000 \(pstn span pstn1 ch \d+\): \w+, cause 1 Unallocated .*the caller got SIP 404/);
  const got = [...s.matchAll(/the (pbx|uc) phone received (\d+) (\w+) \(pt \d+\)(?=;|$)/gm)].map((m) => ({ phone: m[1], n: Number(m[2]), codec: m[3] }));
  t.equal(got.length, 4, 'both phones of both answered SIP calls report what they received');
  t.ok(got.every((g) => g.n >= 50), `every phone received RTP: ${JSON.stringify(got)}`);
  t.same(got.slice(0, 2).map((g) => g.codec), ['G722', 'PCMU'], 'the UC phone got G.722, the PBX phone G.711');

  // 4. PSTN → gateway → UC: the PSTN simulator calls over the PRI span; its in-band DTMF reaches
  // the UC phone as RFC 4733, the UC phone's 1 kHz tone (G.722, transcoded to G.711 for the
  // B-channel) reaches the PSTN line, measured by its line monitor.
  t.match(s, /\+12125550100 \(pstn span pstn1 ch \d+\) → \+15552001004 \(uc\): answered, [\d.]+ s, cause 16 .*the caller got CONNECT on the PRI span/);
  t.match(s, /codecs: PCMU on pstn, G722 on uc/);
  t.match(s, /the uc phone received \d+ G722 \(pt 9\), \d+ telephone-event \(pt 101\) and DTMF "159#" as RFC 4733/, 'digits PSTN → UC');
  const heard = /the PSTN line heard (\d+) Hz at (-?[\d.]+) dBm0/.exec(s);
  t.ok(heard, 'the PSTN line heard a tone');
  t.ok(heard && Math.abs(Number(heard[1]) - 1000) <= 25, `at ${heard?.[1]} Hz (1000)`);
  t.ok(heard && Number(heard[2]) > -15 && Number(heard[2]) < -5, `and ${heard?.[2]} dBm0 (-9)`);

  const rows = await cliCdrs(join(dir, 'state', 'cdr.sqlite'));
  t.equal(rows.length, 4, 'one CDR per call');
  const byCalled = Object.fromEntries(rows.map((x) => [x.a.called, x]));
  t.equal(byCalled['+15552001001']?.disposition, 'answered');
  t.equal(byCalled['+15552001001']?.b?.codec, 'G722');
  t.ok((byCalled['+15552001001']?.b?.rtp?.packetsIn ?? 0) >= 50, 'rtpengine counted the UC side\'s RTP');
  t.equal(byCalled['+15551001002']?.b?.trunk, 'pbx');
  t.equal(byCalled['+15559990000']?.cause, 1);
  t.match(byCalled['+15559990000']?.b, { kind: 'tdm', trunk: 'pstn', span: 'pstn1' }, 'the CDR names the PRI span');
  t.match(byCalled['+15552001004'], { disposition: 'answered', a: { kind: 'tdm', trunk: 'pstn', span: 'pstn1', calling: '+12125550100' }, b: { trunk: 'uc', codec: 'G722' } }, 'the PSTN call\'s CDR');
});
