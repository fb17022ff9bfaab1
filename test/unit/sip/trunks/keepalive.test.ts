// OPTIONS keepalive and call reports on a hand-stepped clock and a fake srf: hysteresis,
// failover order, what counts as alive, metrics, jitter, and no timers after stop().
import t from 'tap';
import type { TrunkHealth } from '../../../../src/calls-subsystem/subsystem.js';
import { TargetHealth } from '../../../../src/sip/trunks/health.js';
import { FakeClock, FakeSrf, fakeDns, makeDirectory } from './fakes.js';

const P = 'sip:192.0.2.1:5060;transport=udp';
const S = 'sip:192.0.2.2:5060;transport=udp';
const TRUNK = { a: { addresses: ['192.0.2.1', '192.0.2.2'], options: { intervalS: 10, timeoutMs: 1000, downAfter: 3, upAfter: 2 } } };

t.test('TargetHealth hysteresis', async (t) => {
  const h = new TargetHealth();
  const p = { downAfter: 2, upAfter: 3 };
  t.equal(h.state, 'unknown');
  t.equal(h.record(false, p, 'x', 1), false);
  t.equal(h.state, 'unknown', 'one failure is not enough');
  t.equal(h.record(true, p, 'ok', 2), true);
  t.equal(h.state, 'up', 'first success from unknown: up at once');
  h.record(false, p, 'x', 3);
  h.record(true, p, 'ok', 4);
  h.record(false, p, 'x', 5);
  t.equal(h.state, 'up', 'failures must be consecutive');
  t.equal(h.record(false, p, 'timeout', 6), true);
  t.equal(h.state, 'down');
  h.record(true, p, 'ok', 7);
  h.record(true, p, 'ok', 8);
  t.equal(h.state, 'down', 'upAfter successes needed');
  t.equal(h.record(true, p, 'ok', 9), true);
  t.equal(h.state, 'up');
});

t.test('primary stops answering: down after downAfter intervals, secondary first; recovery after upAfter', async (t) => {
  const { dir, clock, srf, metrics } = makeDirectory(TRUNK);
  const events: [string, TrunkHealth, string | undefined][] = [];
  dir.on('health', (trunk: string, h: TrunkHealth, target?: { host: string }) => events.push([trunk, h, target?.host]));
  dir.start();
  t.teardown(() => dir.stop());
  await clock.advance(2000);
  t.equal(srf.sent.length, 2, 'one first probe per target, within 2 s');
  t.same(srf.sent.map((s) => s.uri).sort(), [P, S]);
  t.match(srf.sent[0]!.headers, { Contact: '<sip:spangate@localhost;transport=udp>' });
  t.match(dir.health('a'), { state: 'up', detail: '2/2 targets up' });
  t.same(events.filter((e) => e[2]).map((e) => e[2]).sort(), ['192.0.2.1', '192.0.2.2']);

  srf.answers.set(P, 'silent');
  await clock.advance(11_000 + 1000);
  await clock.advance(11_000 + 1000);
  t.equal((await dir.targets('a'))[0]?.host, '192.0.2.1', 'two failures: still up (downAfter 3)');
  await clock.advance(11_000 + 1000);
  const tg = await dir.targets('a');
  t.same(tg.map((x) => [x.host, x.healthy]), [['192.0.2.2', true], ['192.0.2.1', false]], 'secondary first, primary tried last');
  t.match(dir.health('a'), { state: 'up', detail: /1\/2 targets up; 192\.0\.2\.1:5060\/udp down: no answer to OPTIONS in 1000 ms/ });
  const text = (await metrics.render()).body;
  t.match(text, /spangate_sip_target_up\{trunk="a",target="192\.0\.2\.1:5060\/udp"\} 0/);
  t.match(text, /spangate_sip_target_up\{trunk="a",target="192\.0\.2\.2:5060\/udp"\} 1/);
  t.match(text, /spangate_sip_trunk_up\{trunk="a"\} 1/);
  t.match(text, /spangate_sip_options_failures_total\{trunk="a"\} 3/);
  t.match(text, /spangate_sip_options_rtt_seconds_count\{trunk="a"\} \d+/);

  srf.answers.set(P, 404);
  await clock.advance(11_000 + 1000);
  t.equal((await dir.targets('a'))[0]?.host, '192.0.2.2', 'one answer: not yet (upAfter 2)');
  await clock.advance(11_000 + 1000);
  t.same((await dir.targets('a')).map((x) => [x.host, x.healthy]), [['192.0.2.1', true], ['192.0.2.2', true]], 'a 404 proves it alive: back in order');
});

t.test('408 and 503 answers are failures; all down: down targets still returned, trunk down', async (t) => {
  const { dir, clock, srf, metrics } = makeDirectory({ a: { addresses: ['192.0.2.1', '192.0.2.2'], options: { intervalS: 5, downAfter: 1, upAfter: 1 } } });
  srf.answers.set(P, 503);
  srf.answers.set(S, 408);
  dir.start();
  t.teardown(() => dir.stop());
  await clock.advance(2000);
  t.same((await dir.targets('a')).map((x) => [x.host, x.healthy]), [['192.0.2.1', false], ['192.0.2.2', false]], 'configured order among down targets');
  t.match(dir.health('a'), { state: 'down', detail: /0\/2 targets up; 192\.0\.2\.1:5060\/udp down: OPTIONS answered 503/ });
  t.match((await metrics.render()).body, /spangate_sip_trunk_up\{trunk="a"\} 0/);
});

t.test('call reports feed the same state', async (t) => {
  const { dir, clock } = makeDirectory({ a: { addresses: ['192.0.2.1', '192.0.2.2'], options: { intervalS: 60, downAfter: 2, upAfter: 1 } } });
  dir.start();
  t.teardown(() => dir.stop());
  await clock.advance(2000);
  const [p] = await dir.targets('a');
  dir.report('a', p!, 'timeout');
  t.equal((await dir.targets('a'))[0]?.host, '192.0.2.1');
  dir.report('a', p!, 'overloaded');
  t.equal((await dir.targets('a'))[0]?.host, '192.0.2.2', 'two failed attempts: demoted');
  dir.report('a', { host: '192.0.2.1', port: 5060, transport: 'udp', healthy: false }, 'ok');
  t.equal((await dir.targets('a'))[0]?.host, '192.0.2.1', 'an answered call brings it back');
  dir.report('a', { host: '198.51.100.1', port: 5060, transport: 'udp', healthy: true }, 'timeout');
  dir.report('zzz', p!, 'timeout');
  t.pass('reports for unknown targets or trunks are ignored');
});

t.test('OPTIONS disabled: no probes; a down target is forgotten after the hold-down', async (t) => {
  const { dir, clock, srf } = makeDirectory({ a: { addresses: ['192.0.2.1', '192.0.2.2'], options: { enabled: false, intervalS: 30, downAfter: 1 } } });
  dir.start();
  t.teardown(() => dir.stop());
  await clock.advance(5000);
  t.equal(srf.sent.length, 0);
  t.match(dir.health('a'), { state: 'unknown', detail: /OPTIONS keepalive disabled/ });
  const [p] = await dir.targets('a');
  dir.report('a', p!, 'unreachable');
  t.equal((await dir.targets('a'))[0]?.host, '192.0.2.2');
  await clock.advance(30_000);
  t.same((await dir.targets('a')).map((x) => [x.host, x.healthy]), [['192.0.2.1', true], ['192.0.2.2', true]]);
});

t.test('no srf yet: nothing sent, health says why; contactFqdn in From and Contact; jittered schedule; stop clears timers', async (t) => {
  let srfNow: FakeSrf | undefined;
  const clock = new FakeClock();
  const fake = new FakeSrf(clock);
  const { dir } = makeDirectory({ t: { profile: 'teams', addresses: ['192.0.2.5'], contactFqdn: 'sbc.branch.example', options: { intervalS: 60 } } }, { clock, srf: () => srfNow?.asSrf(), localPort: (tr) => (tr === 'tls' ? 5061 : undefined) });
  dir.start();
  await clock.advance(5000);
  t.match(dir.health('t'), { state: 'unknown', detail: /SIP edge not connected: OPTIONS not sent/ });
  srfNow = fake;
  clock.rnd = 0;
  await clock.advance(60_000);
  t.equal(fake.sent.length, 1);
  t.match(fake.sent[0], {
    uri: 'sip:192.0.2.5:5061;transport=tls',
    headers: { To: '<sip:192.0.2.5:5061;transport=tls>', From: '<sip:spangate@sbc.branch.example>', Contact: '<sip:sbc.branch.example:5061;transport=tls>', 'Max-Forwards': '70' },
  });
  await clock.advance(fake.sent[0]!.at + 54_000 - 1 - clock.t);
  t.equal(fake.sent.length, 1, 'next probe no earlier than interval −10%');
  clock.rnd = 0.999;
  await clock.advance(1);
  t.equal(fake.sent.length, 2);
  await clock.advance(fake.sent[1]!.at + 66_000 + 1 - clock.t);
  t.equal(fake.sent.length, 3, 'and no later than interval +10%');
  dir.stop();
  t.equal(clock.pending, 0, 'no timer left after stop()');
});

t.test('TLS by name: one probe per name and port (certificate checked against the name), outcome shared by its addresses', async (t) => {
  const dns = fakeDns({ 'uc.example': ['192.0.2.21', '192.0.2.22'] });
  const { dir, clock, srf } = makeDirectory({ uc: { transport: 'tls', port: 5061, addresses: ['uc.example', '192.0.2.30'], options: { intervalS: 10, downAfter: 1, upAfter: 1 } } }, { resolver: dns });
  dir.start();
  t.teardown(() => dir.stop());
  await dir.ready();
  await clock.advance(2000);
  t.same(srf.sent.map((x) => x.uri).sort(), ['sip:192.0.2.30:5061;transport=tls', 'sip:uc.example:5061;transport=tls']);
  srf.answers.set('sip:uc.example:5061;transport=tls', 'silent');
  await clock.advance(12_000 + 2000);
  t.same((await dir.targets('uc')).map((x) => [x.host, x.healthy, x.name]), [
    ['192.0.2.30', true, undefined], ['192.0.2.21', false, 'uc.example'],
  ], 'one next hop per TLS name (calls go by name too)');
  t.equal(srf.sent.filter((x) => x.uri.includes('uc.example')).length, 2, 'not one probe per address');
  // A call outcome on the name is its whole group's.
  srf.answers.delete('sip:uc.example:5061;transport=tls');
  dir.report('uc', { host: '192.0.2.21', port: 5061, transport: 'tls', healthy: false, name: 'uc.example' }, 'ok');
  t.same((await dir.targets('uc')).map((x) => [x.host, x.healthy, x.name]), [
    ['192.0.2.21', true, 'uc.example'], ['192.0.2.30', true, undefined],
  ], 'the name is usable again, first in configured order');
});

t.test('OPTIONS From: the contact FQDN when the trunk has one, else localhost for the edge to fill in', async (t) => {
  const { fromFor } = await import('../../../../src/sip/trunks/options.js');
  t.equal(fromFor('sbc.branch.example'), '<sip:spangate@sbc.branch.example>');
  t.equal(fromFor(''), '<sip:spangate@localhost>');
});
