// `spangate sim pstn` with audio, as a child process (the PSTN, network side): it calls a PBX
// simulator in this process (user side, answers) and, once connected, sends a tone, DTMF and
// speech from its command line, reports what arrives (--report-audio: the PBX's 2000 Hz tone
// at -20 dBm0 sent back), hangs up and exits (--once).
import { spawn } from 'node:child_process';
import t from 'tap';
import { loadSimMedia, loadTdmNative } from '../../src/tdm/native.js';
import { PstnSim, type SimAudioWindow } from '../../src/tdm/sim.js';
import { BIN, ROOT, childEnv, testNet } from '../fixtures/daemon.js';

const WAIT = 60_000;
const NET = testNet(26); // this checkout's addresses: the same test in another worktree does not collide
type Line = Record<string, unknown>;

t.test('sim pstn --send-tone --send-dtmf --say --report-audio', async (t) => {
  const pbx = new PstnSim({
    native: loadTdmNative, media: loadSimMedia, incoming: { action: 'answer' },
    span: { id: 'pbx', type: 'e1', switchtype: 'euroisdn', trunk: 'sim', side: 'user', localAddress: `${NET}.22`, localPort: 26121, remoteAddress: `${NET}.21`, remotePort: 26120 },
  });
  const windows: SimAudioWindow[] = [];
  const digits: string[] = [];
  pbx.on('audio', (w) => windows.push(w));
  pbx.on('dtmf', (d) => digits.push(d.digit));
  pbx.on('report', (r) => {
    if (r.event === 'connect') void pbx.sendTone(r.leg as string, { freqHz: 2000, levelDbm0: -20, ms: 1500 }).catch(() => undefined);
  });
  await pbx.start();

  const child = spawn(process.execPath, [
    BIN, 'sim', 'pstn', '--local', `${NET}.21:26120`, '--remote', `${NET}.22:26121`, '--side', 'network',
    '--type', 'e1', '--switchtype', 'euroisdn', '--call', '4000', '--send-tone', '1004@-10:1500', '--send-dtmf', '123#',
    '--say', 'Testing one two three.', '--report-audio', '--hangup-after', '500', '--once',
  ], { cwd: ROOT, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await pbx.close();
  });
  let out = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGTERM'), WAIT);
  const code = await exited;
  clearTimeout(timer);
  t.equal(code, 0, `exit code (stderr: ${stderr}; stdout: ${out})`);
  const lines = out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Line);

  t.ok(lines.some((l) => l.event === 'answer'), 'the call was answered');
  t.ok(lines.some((l) => l.event === 'sent' && l.what === 'tone' && l.freqHz === 1004), 'tone sent');
  t.ok(lines.some((l) => l.event === 'sent' && l.what === 'dtmf' && l.digits === '123#'), 'digits sent');
  t.ok(lines.some((l) => l.event === 'sent' && l.what === 'speech'), 'speech sent');
  const back = lines.find((l) => l.event === 'audio' && l.kind === 'tone' && Math.abs((l.freqHz as number) - 2000) <= 10);
  t.ok(back, `the PBX's 2000 Hz tone reported: ${JSON.stringify(lines.filter((l) => l.event === 'audio'))}`);
  t.ok(back && Math.abs((back.levelDbm0 as number) + 20) <= 1, `at -20 dBm0 (${String(back?.levelDbm0)})`);
  t.ok(lines.some((l) => l.event === 'hangup' && l.cause === 16), 'hung up with 16');

  const tone = windows.filter((w) => w.tonality > 0.9 && Math.abs(w.freqHz - 1004) <= 10 && Math.abs(w.levelDbm0 + 10) <= 1);
  t.ok(tone.length >= 5, `the PBX heard 1004 Hz at -10 dBm0 in ${tone.length} windows`);
  t.equal(digits.join(''), '123#', 'the PBX detected the digits');
  t.ok(windows.filter((w) => w.tonality < 0.85 && w.levelDbm0 > -40).length >= 10, 'the PBX heard speech (and DTMF)');
});
