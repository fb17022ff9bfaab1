// `spangate sim pstn` as a child process (the PSTN, network side) against a SpanManager in this
// process (the gateway, user side): events come out as JSON lines, commands go in on stdin.
import { spawn } from 'node:child_process';
import t from 'tap';
import { AdminMethods } from '../../src/admin/index.js';
import type { SpangateConfig } from '../../src/config/index.js';
import type { HangupInfo } from '../../src/call/leg.js';
import { SpanManager, loadTdmNative, type PriLeg } from '../../src/tdm/index.js';
import { BIN, ROOT, childEnv } from '../fixtures/daemon.js';

const WAIT = 30_000;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
type Line = Record<string, unknown>;

t.test('spangate sim pstn answers, hangs up, places calls on command and quits', async (t) => {
  const child = spawn(process.execPath, [
    BIN, 'sim', 'pstn', '--local', '127.0.10.9:62060', '--remote', '127.0.10.9:62061', '--side', 'network',
    '--type', 'e1', '--switchtype', 'euroisdn', '--answer', '--hangup-after', '300', '--cause', '16',
  ], { cwd: ROOT, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Line);
    for (const w of waiters) w();
  });
  const waitLine = (pred: (l: Line) => boolean, what: string): Promise<Line> => new Promise((resolve, reject) => {
    const check = (): void => {
      const hit = lines.find(pred);
      if (!hit) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve(hit);
    };
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`sim: no ${what}; stderr: ${stderr}`)); }, WAIT);
    waiters.add(check);
    check();
  });

  const gw = new SpanManager({
    config: { spans: [{ id: 'pri1', type: 'e1', side: 'user', switchtype: 'euroisdn', trunk: 'pstn', localAddress: '127.0.10.9', localPort: 62061, remoteAddress: '127.0.10.9', remotePort: 62060 }] } as unknown as SpangateConfig['tdm'],
    native: loadTdmNative, admin: new AdminMethods(), log: quiet,
  });
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await gw.stop();
  });
  await gw.start();
  await Promise.all([gw.waitAllUp(WAIT), waitLine((l) => l.event === 'up', 'up')]);
  t.match(lines[0], { event: 'opened', local: '127.0.10.9:62060', side: 'network' });

  // Gateway -> sim: the sim answers, then clears with 16 after 300 ms.
  const out = gw.createLeg('pstn');
  const answered = new Promise<void>((r) => out.once('answer', () => r()));
  const ended = new Promise<HangupInfo>((r) => out.once('hangup', r));
  await out.originate({ calling: '+4930555100', called: '0301234567' });
  t.match(await waitLine((l) => l.event === 'incoming', 'incoming'), { calling: '4930555100', callingTon: 'international', called: '0301234567' });
  await answered;
  t.match(await ended, { cause: 16, by: 'remote' });
  await waitLine((l) => l.event === 'hangup' && l.cause === 16, 'hangup 16');

  // sim -> gateway on a stdin command: the gateway refuses with 17.
  const inc = new Promise<PriLeg>((r) => gw.once('incoming', r));
  child.stdin.write(`${JSON.stringify({ cmd: 'call', calling: '301234', called: '555100' })}\n`);
  const leg = await inc;
  t.equal(leg.called, '555100');
  await leg.reject(17);
  t.match(await waitLine((l) => l.event === 'hangup' && l.cause === 17, 'hangup 17'), { by: 'remote', causeText: 'User busy' });

  child.stdin.write('not json\n');
  await waitLine((l) => l.event === 'error' && /JSON/.test(String(l.message)), 'error line');
  child.stdin.write(`${JSON.stringify({ cmd: 'hangup', leg: 'nope' })}\n`);
  await waitLine((l) => l.event === 'error' && l.cmd === 'hangup', 'error for unknown leg');
  child.stdin.write(`${JSON.stringify({ cmd: 'quit' })}\n`);
  t.equal(await exited, 0, stderr);
  t.ok(lines.some((l) => l.event === 'closed'));
});
