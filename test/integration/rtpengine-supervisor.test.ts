// The supervisor against the real daemon: start, NG ping, stderr into our logger, kill -9 →
// "down" (sessions told, new sessions refused with a clear MediaError) → restart with backoff →
// new sessions work again; stop leaves no process behind; external mode; bad config fails clearly.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import { RtpengineSupervisor, rtpengineArgs } from '../../src/media/rtpengine-supervisor.js';
import { RtpengineRelay } from '../../src/media/rtpengine-relay.js';
import { MediaError } from '../../src/errors.js';
import type { LegMediaOptions } from '../../src/media/relay.js';
import { startRtpengine, memoryLogger, Endpoint, sdp, PCMU } from './rtpengine-harness.test.js';

const IP = '127.0.4.11';
const plain: LegMediaOptions = { transport: 'RTP/AVP' };
// Both the supervisor and rtpengine sessions are EventEmitters underneath.
const once = <T>(emitter: object, ev: string): Promise<T> =>
  new Promise((r) => (emitter as EventEmitter).once(ev, (...a: unknown[]) => r(a[0] as T)));

t.test('managed: start, kill -9, down, restart, work again, stop', async (t) => {
  const { sup, log } = await startRtpengine(t, { ip: IP, ngPort: 50011, portMin: 51100, portMax: 51199, logLevel: 6 });
  t.ok(sup.up, 'up after start');
  const pid1 = sup.pid!;
  t.ok(existsSync(`/proc/${pid1}`), `rtpengine running as pid ${pid1}`);
  const relay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
  const a = await new Endpoint(IP).bind();
  t.teardown(() => a.close());

  const s1 = relay.createSession('sup-1');
  await s1.offer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a', fromLeg: plain, toLeg: plain });
  const lost = once<string>(s1, 'lost');
  const down = once<string>(sup, 'down');
  const up = once<void>(sup, 'up');
  process.kill(pid1, 'SIGKILL');
  t.match(await down, /exited/, 'supervisor reports down');
  t.match(await lost, /exited/, 'live session is told it was lost');
  t.notOk(sup.up);
  t.throws(() => relay.createSession('sup-2'), MediaError, 'new calls get a clear MediaError while down');
  try { relay.createSession('sup-2'); } catch (e) { t.match((e as Error).message, /rtpengine is down/); }
  await up;
  t.ok(sup.up, 'up again');
  t.equal(sup.restarts, 1);
  t.not(sup.pid, pid1, 'a new process');
  const s3 = relay.createSession('sup-3');
  const sdpOut = await s3.offer({ sdp: sdp(IP, a.port, [PCMU]), from: 'a', fromLeg: plain, toLeg: plain });
  t.match(sdpOut, /m=audio 511\d\d RTP\/AVP 0/, 'offers work after the restart');
  await s3.close();
  t.ok(log.lines.some((l) => /Startup complete/.test(l.msg) && (l.obj as { src?: string }).src === 'rtpengine'), 'rtpengine stderr captured into our logger');
  t.ok(log.lines.some((l) => l.level === 'error' && l.msg === 'rtpengine exited'), 'the crash is logged');
  const pid2 = sup.pid!;
  await sup.stop();
  t.notOk(existsSync(`/proc/${pid2}`) && !/zombie|Z/.test(''), 'stopped process is gone');
  t.notOk(sup.up);
});

t.test('external mode: health only, down when it stops answering', async (t) => {
  const { sup: managed } = await startRtpengine(t, { ip: IP, ngPort: 50031, portMin: 51200, portMax: 51299 });
  const log = memoryLogger();
  const ext = new RtpengineSupervisor({ mode: 'external', ngHost: IP, ngPort: 50031, pingIntervalMs: 200, pingTimeoutMs: 300, pingFailures: 2 }, log);
  t.teardown(() => ext.stop());
  await ext.start();
  t.ok(ext.up);
  t.equal(ext.pid, undefined, 'external mode starts nothing');
  const down = once<string>(ext, 'down');
  await managed.stop();
  t.match(await down, /no NG ping answer/);
});

t.test('a daemon that cannot start fails start() with a clear MediaError', async (t) => {
  const base = { mode: 'managed' as const, ngHost: IP, ngPort: 50041, interfaceAddress: IP, portMin: 51200, portMax: 51299, startTimeoutMs: 15_000, restartInitialMs: 60_000 };
  const missing = new RtpengineSupervisor({ ...base, binary: '/nonexistent/rtpengine' }, memoryLogger());
  t.teardown(() => missing.stop());
  await t.rejects(missing.start(), { code: 'EMEDIA', message: /ENOENT/ });
  const badOpt = new RtpengineSupervisor({ ...base, extraArgs: ['--no-such-option'] }, memoryLogger());
  t.teardown(() => badOpt.stop());
  await t.rejects(badOpt.start(), { code: 'EMEDIA', message: /exited \(code 255\)/ });
});

t.test('an rtpengine orphaned by an earlier spangate is found by its pid file and replaced', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spangate-rtpe-'));
  const pidFile = join(dir, 'rtpengine.pid');
  const opts = { mode: 'managed' as const, ngHost: IP, ngPort: 50051, interfaceAddress: IP, portMin: 51200, portMax: 51299, pidFile, startTimeoutMs: 20_000 };
  const orphan = spawn('rtpengine', rtpengineArgs(opts), { stdio: 'ignore' });
  t.teardown(() => { try { orphan.kill('SIGKILL'); } catch { /* gone */ } rmSync(dir, { recursive: true, force: true }); });
  const orphanGone = new Promise<void>((r) => orphan.once('exit', () => r()));
  // It is up once it has written its pid file and answers ping.
  const probe = new RtpengineSupervisor({ mode: 'external', ngHost: IP, ngPort: 50051, startTimeoutMs: 20_000 }, memoryLogger());
  await probe.start();
  await probe.stop();
  t.equal(readFileSync(pidFile, 'utf8').trim(), String(orphan.pid), 'orphan wrote its pid file');
  const log = memoryLogger();
  const sup = new RtpengineSupervisor(opts, log);
  t.teardown(() => sup.stop());
  await sup.start();
  await orphanGone;
  t.ok(log.lines.some((l) => /^stopping stale rtpengine \(pid \d+\) left on NG /.test(String(l.msg))), 'orphan reported');
  t.not(sup.pid, orphan.pid, 'our own daemon runs now');
  t.ok(sup.up);
});

t.test('NG requests to nobody time out with TimeoutError; close rejects pending', async (t) => {
  const sup = new RtpengineSupervisor({ mode: 'external', ngHost: IP, ngPort: 50099, ngTimeoutMs: 300, startTimeoutMs: 500 }, memoryLogger());
  await t.rejects(sup.ng.request('ping', {}, 300), { code: 'ETIMEOUT' });
  const p = sup.ng.request('ping', {}, 10_000);
  sup.ng.close();
  await t.rejects(p, { code: 'ECLOSED' });
  await t.rejects(sup.ng.request('ping'), { code: 'ECLOSED' });
});
