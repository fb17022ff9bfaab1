import t from 'tap';
import { Metrics } from '../../../src/metrics/index.js';

const build = { version: '9.9.9', node: 'v20.0.0', nativeAbi: '1' };

t.test('build info and process metrics', async (t) => {
  const m = new Metrics(build);
  const { body, contentType } = await m.render();
  t.match(contentType, /text\/plain/);
  t.match(body, /spangate_build_info\{version="9\.9\.9",node="v20\.0\.0",native_abi="1"\} 1/);
  t.match(body, /^process_cpu_user_seconds_total /m);
  t.match(body, /^process_resident_memory_bytes /m);
  t.match(body, /^nodejs_eventloop_lag_seconds /m);
});

t.test('counters, gauges (also computed at scrape time) and histograms', async (t) => {
  const m = new Metrics(build, { processMetrics: false });
  const c = m.counter('spangate_test_events_total', 'Test events.', ['kind']);
  c.inc({ kind: 'a' });
  c.inc({ kind: 'a' }, 2);
  t.equal(m.counter('spangate_test_events_total', 'Test events.', ['kind']), c, 'asking twice gives the same metric');
  let native = 5;
  m.gauge('spangate_test_native_value', 'Read at scrape time.', [], (g) => g.set(native));
  m.histogram('spangate_test_latency_seconds', 'Latency.', [], [0.01, 0.1]).observe(0.05);
  native = 7;
  const { body } = await m.render();
  t.match(body, /spangate_test_events_total\{kind="a"\} 3/);
  t.match(body, /spangate_test_native_value 7/);
  t.match(body, /spangate_test_latency_seconds_bucket\{le="0.1"\} 1/);
  t.notMatch(body, /process_cpu/, 'process metrics can be left out');
});

t.test('names follow spangate_<subsystem>_<what>_<unit>; kinds do not clash', async (t) => {
  const m = new Metrics(build, { processMetrics: false });
  t.throws(() => m.counter('calls_total', 'x'), /must match/);
  t.throws(() => m.counter('spangate_Calls', 'x'), /must match/);
  m.counter('spangate_x_total', 'x');
  t.throws(() => m.gauge('spangate_x_total', 'x'), /already registered as a counter/);
});

t.test('two registries do not share metrics', async (t) => {
  const a = new Metrics(build, { processMetrics: false });
  const b = new Metrics(build, { processMetrics: false });
  a.counter('spangate_only_a_total', 'x').inc();
  t.notMatch((await b.render()).body, /spangate_only_a_total/);
});
