// SIGTERM drains then stops with exit 0; SIGINT too; the admin socket keeps answering until
// the daemon stops. (Waiting for active calls up to daemon.drainTimeoutMs is covered with
// fake subsystems in test/unit/daemon/daemon.test.ts until call-carrying subsystems exist.)
import t from 'tap';
import { DaemonProcess, daemonFiles } from '../fixtures/daemon.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} drains and exits 0`, async (t) => {
    const f = daemonFiles(t, { daemon: { drainTimeoutMs: 5_000 } });
    const d = DaemonProcess.start(t, ['run', '--config', f.config]);
    await d.waitForEvent('ready');
    d.kill(signal);
    const draining = await d.waitForEvent('draining');
    t.match(draining, { reason: signal, drainTimeoutMs: 5_000, activeWork: 0 });
    const stopped = await d.waitForEvent('stopped');
    t.equal(stopped.reason, signal);
    t.same(await d.exited, { code: 0, signal: null });
    const order = d.lines.map((l) => l.event).filter(Boolean);
    t.ok(order.indexOf('draining') < order.indexOf('stopped'));
  });
}
