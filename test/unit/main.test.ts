// The composition root wires config, logs, native library, metrics, admin and daemon together.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { adminRequest } from '../../src/admin/index.js';
import { startDaemon } from '../../src/main.js';
import { tmpDir } from '../fixtures/tmp.js';

t.test('startDaemon builds a working daemon from a config file', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  const raw = {
    daemon: { pidFile: join(dir, 'p.pid'), stateDir: join(dir, 'state') },
    admin: { socket: join(dir, 'a.sock') },
    metrics: { port: 0 },
    sip: { edge: { listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }] } },
  };
  writeFileSync(file, JSON.stringify(raw));
  const lines: Record<string, unknown>[] = [];
  const running = await startDaemon({ configFile: file, signals: false, logDestination: { write: (l) => lines.push(JSON.parse(l)) } });
  t.teardown(() => running.daemon.shutdown('teardown'));
  t.equal(running.configFile, file);
  t.equal(running.adminSocket, join(dir, 'a.sock'));
  t.match(running.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.ok(lines.some((l) => l.event === 'ready'));

  const methods = await adminRequest<{ method: string }[]>(running.adminSocket, 'help', {}, 5_000);
  t.same(methods.map((m) => m.method), ['config.get', 'config.reload', 'help', 'route.test', 'show.calls', 'show.sip', 'show.spans', 'show.trunks', 'span.restart', 'status']);

  writeFileSync(file, JSON.stringify({ ...raw, log: { subsystems: { admin: 'debug' } } }));
  t.same(await adminRequest(running.adminSocket, 'config.reload', {}, 5_000), { applied: ['log.subsystems'], restartRequired: [], file });
  t.equal(running.logs.child('admin').level, 'debug', 'per-subsystem level applied on reload');
  writeFileSync(file, '{"bad": true}');
  const refused = await adminRequest(running.adminSocket, 'config.reload', {}, 5_000).catch((e: unknown) => e);
  t.match(refused, { reason: 'remote', remoteCode: 'ECONFIG' });

  const body = await (await fetch(`${running.metricsUrl}/metrics`)).text();
  t.match(body, /spangate_config_reloads_total\{result="applied"\} 1/);
  t.match(body, /spangate_config_reloads_total\{result="refused"\} 1/);

  await running.daemon.shutdown('test');
  t.equal(await running.daemon.done, 0);
});

t.test('a bad config file is a ConfigError before anything starts', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(file, '{"metrics": {"port": -1}}');
  await t.rejects(startDaemon({ configFile: file, signals: false }), { code: 'ECONFIG', path: 'metrics.port', file });
});
