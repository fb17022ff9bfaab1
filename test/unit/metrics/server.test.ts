import { request } from 'node:http';
import t from 'tap';
import { Metrics, MetricsServer, type HealthReport } from '../../../src/metrics/index.js';
import { LogManager } from '../../../src/log/index.js';

const logs = new LogManager({ level: 'silent', subsystems: {} }, { write: () => undefined });

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('serves /metrics and /health on an ephemeral port', async (t) => {
  let report: HealthReport = { status: 'ok', subsystems: { admin: { status: 'ok' } } };
  const metrics = new Metrics({ version: '1.2.3', node: process.version, nativeAbi: '1' });
  const srv = new MetricsServer({ enabled: true, address: '127.0.0.1', port: 0 }, metrics, () => report, logs.child('metrics'));
  await srv.start();
  t.teardown(() => srv.stop());
  const port = srv.address()!.port;
  t.ok(port > 0);
  t.equal(srv.health().status, 'ok');

  const m = await get(port, '/metrics');
  t.equal(m.status, 200);
  t.match(m.body, /spangate_build_info\{version="1\.2\.3"/);
  t.match(m.body, /process_cpu_seconds_total/);

  let h = await get(port, '/health');
  t.equal(h.status, 200);
  t.match(h.type, /application\/json/);
  t.same(JSON.parse(h.body), report);

  report = { status: 'draining', subsystems: {} };
  h = await get(port, '/health');
  t.equal(h.status, 503, 'draining answers 503 so balancers stop sending');
  report = { status: 'degraded', subsystems: { sip: { status: 'degraded', detail: '1 of 2 trunks up' } } };
  t.equal((await get(port, '/health')).status, 200);

  t.equal((await get(port, '/nope')).status, 404);
  t.equal((await get(port, '/metrics', 'POST')).status, 405);
  const head = await get(port, '/metrics', 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body, '');
});

t.test('disabled: no listener, healthy', async (t) => {
  const metrics = new Metrics({ version: '1', node: 'v20', nativeAbi: '1' }, { processMetrics: false });
  const srv = new MetricsServer({ enabled: false, address: '127.0.0.1', port: 0 }, metrics, () => ({ status: 'ok', subsystems: {} }), logs.child('metrics'));
  await srv.start();
  t.equal(srv.address(), undefined);
  t.same(srv.health(), { status: 'ok', detail: 'disabled' });
  await srv.stop();
});

t.test('a port in use fails start with the address in the message', async (t) => {
  const metrics = new Metrics({ version: '1', node: 'v20', nativeAbi: '1' }, { processMetrics: false });
  const a = new MetricsServer({ enabled: true, address: '127.0.0.1', port: 0 }, metrics, () => ({ status: 'ok', subsystems: {} }), logs.child('metrics'));
  await a.start();
  t.teardown(() => a.stop());
  const b = new MetricsServer({ enabled: true, address: '127.0.0.1', port: a.address()!.port }, metrics, () => ({ status: 'ok', subsystems: {} }), logs.child('metrics'));
  await t.rejects(b.start(), { reason: 'start-failed', message: /metrics: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/ });
});
