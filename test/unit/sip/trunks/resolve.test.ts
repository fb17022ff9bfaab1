import t from 'tap';
import { resolveTrunkAddresses, splitHostPort, withHostMap } from '../../../../src/sip/trunks/resolve.js';
import { resolveTrunk } from '../../../../src/sip/trunk-profiles.js';
import { fakeDns, makeDirectory } from './fakes.js';

t.test('host:port forms', async (t) => {
  t.same(splitHostPort('a.example'), { host: 'a.example', port: undefined });
  t.same(splitHostPort('a.example:5080'), { host: 'a.example', port: 5080 });
  t.same(splitHostPort('[2001:db8::1]:5061'), { host: '2001:db8::1', port: 5061 });
  t.same(splitHostPort('2001:db8::1'), { host: '2001:db8::1', port: undefined });
});

t.test('SRV by transport, priority then weight, then A/AAAA; configured order kept across entries', async (t) => {
  const dns = fakeDns(
    { 'p1.example': ['192.0.2.1'], 'p2.example': ['192.0.2.2'], 'p3.example': ['192.0.2.3'], 'backup.example': ['198.51.100.9'] },
    { '_sips._tcp.uc.example': [
      { name: 'p3.example', port: 5063, priority: 20, weight: 0 },
      { name: 'p2.example', port: 5062, priority: 10, weight: 10 },
      { name: 'p1.example', port: 5061, priority: 10, weight: 90 },
    ] },
    { 'p1.example': ['2001:db8::1'] },
  );
  const s = resolveTrunk('uc', { transport: 'tls', port: 5061, srv: true, addresses: ['uc.example', 'backup.example'] });
  const r = await resolveTrunkAddresses(dns, s);
  t.same(r.hops.map((h) => [h.ip, h.port, h.name]), [
    ['192.0.2.1', 5061, 'p1.example'], ['2001:db8::1', 5061, 'p1.example'], ['192.0.2.2', 5062, 'p2.example'], ['192.0.2.3', 5063, 'p3.example'],
    ['198.51.100.9', 5061, 'backup.example'],
  ]);
  t.ok(dns.calls.includes('SRV _sips._tcp.uc.example'));
  t.ok(dns.calls.includes('SRV _sips._tcp.backup.example'), 'no SRV for backup: falls back to A on the configured port');
  t.same(r.failures, []);
});

t.test('srv with an explicit port or a literal IP: no SRV query; udp/tcp prefixes', async (t) => {
  const dns = fakeDns({ 'a.example': ['192.0.2.7'] }, { '_sip._udp.u.example': [{ name: 'a.example', port: 5070, priority: 0, weight: 0 }], '_sip._tcp.c.example': [{ name: 'a.example', port: 5071, priority: 0, weight: 0 }] });
  const r1 = await resolveTrunkAddresses(dns, resolveTrunk('x', { srv: true, addresses: ['a.example:5090', '192.0.2.8', 'u.example'] }));
  t.same(r1.hops.map((h) => `${h.ip}:${h.port}`), ['192.0.2.7:5090', '192.0.2.8:5060', '192.0.2.7:5070']);
  t.notOk(dns.calls.includes('SRV _sip._udp.a.example'));
  const r2 = await resolveTrunkAddresses(dns, resolveTrunk('x', { srv: true, transport: 'tcp', addresses: ['c.example'] }));
  t.same(r2.hops.map((h) => `${h.transport}:${h.ip}:${h.port}`), ['tcp:192.0.2.7:5071']);
});

t.test('a name that stops resolving keeps its previous addresses and is reported; duplicates once', async (t) => {
  const s = resolveTrunk('x', { addresses: ['a.example', 'b.example', '192.0.2.1'] });
  const first = await resolveTrunkAddresses(fakeDns({ 'a.example': ['192.0.2.1', '192.0.2.2'], 'b.example': ['192.0.2.3'] }), s);
  t.same(first.hops.map((h) => h.ip), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  const second = await resolveTrunkAddresses(fakeDns({ 'a.example': ['192.0.2.2'] }), s, first.hops);
  t.same(second.hops.map((h) => h.ip), ['192.0.2.2', '192.0.2.3', '192.0.2.1']);
  t.match(second.failures, [{ entry: 'b.example', why: /no A\/AAAA records for b\.example \(ENOTFOUND\)/ }]);
});

t.test('the directory re-resolves periodically and shows DNS trouble in health', async (t) => {
  const answers: Record<string, string[]> = { 'pbx.example': ['192.0.2.1'] };
  const dns = fakeDns(answers);
  const { dir, clock } = makeDirectory({ pbx: { addresses: ['pbx.example', 'gone.example'] } }, { resolver: dns, resolveIntervalMs: 60_000 });
  dir.start();
  t.teardown(() => dir.stop());
  t.same((await dir.targets('pbx')).map((x) => x.host), ['192.0.2.1']);
  t.match(dir.health('pbx')?.detail, /DNS: gone\.example: no A\/AAAA records/);
  answers['pbx.example'] = ['192.0.2.9'];
  await clock.advance(60_000);
  await dir.ready();
  t.same((await dir.targets('pbx')).map((x) => x.host), ['192.0.2.9']);
  t.equal(dir.admit.length, 2);
});

t.test('sip.edge.hostMap answers A/AAAA before DNS (a trunk named there resolves like the edge resolves it)', async (t) => {
  const dns = fakeDns({ 'elsewhere.example': ['192.0.2.50'] });
  const mapped = withHostMap(dns, { 'UC.Teams.Test': ['127.0.23.3', '::1'], 'pbx.example': '192.0.2.7' });
  const s = resolveTrunk('uc', { transport: 'tls', port: 5061, addresses: ['uc.teams.test:23561', 'pbx.example', 'elsewhere.example'] });
  const r = await resolveTrunkAddresses(mapped, s);
  t.same(r.hops.map((h) => [h.ip, h.port, h.name]), [
    ['127.0.23.3', 23561, 'uc.teams.test'], ['::1', 23561, 'uc.teams.test'], ['192.0.2.7', 5061, 'pbx.example'], ['192.0.2.50', 5061, 'elsewhere.example'],
  ]);
  t.same(dns.calls, ['A elsewhere.example', 'AAAA elsewhere.example'], 'only the unmapped name went to DNS');
  t.equal(withHostMap(dns, {}), dns, 'an empty map is the resolver itself');
});
