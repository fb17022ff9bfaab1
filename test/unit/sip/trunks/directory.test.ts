// admit(), targets(), credentials() and reload of the trunk directory, with fakes only.
import t from 'tap';
import { digestResponse } from '../../../../src/sip/trunks/digest.js';
import { config, fakeDns, makeDirectory, request, Responder } from './fakes.js';

const TRUNKS = {
  carrier: { addresses: ['192.0.2.10', '192.0.2.11:5080'], authUsername: 'gw', authPassword: 'out-secret' },
  pbx: { addresses: ['pbx.branch.example'], transport: 'tcp', acl: ['10.20.0.0/16', '2001:db8:20::/48'] },
  pbxcore: { addresses: ['10.20.1.5'], acl: ['10.20.1.0/24'] },
  uc: {
    addresses: ['2001:db8:99::5'], inboundAuthRealm: 'spangate.example', inboundAuthUsername: 'uc', inboundAuthPassword: 'in-secret',
    authUsername: 'sbc', authPassword: 'x',
  },
};
const DNS = fakeDns({ 'pbx.branch.example': ['10.20.1.7'] });

t.test('ACL: resolved addresses, CIDRs (IPv4, IPv6), most specific wins; others get 403 and are counted', async (t) => {
  const { dir, metrics } = makeDirectory(TRUNKS, { resolver: DNS });
  dir.start();
  t.teardown(() => dir.stop());
  const admit = async (src: string): Promise<{ v: Awaited<ReturnType<typeof dir.admit>>; res: Responder }> => {
    const res = new Responder();
    return { v: await dir.admit(request(src), res), res };
  };
  t.match((await admit('192.0.2.11')).v, { ok: true, trunk: 'carrier' }, 'empty ACL: a resolved address');
  t.match((await admit('10.20.9.9')).v, { ok: true, trunk: 'pbx' });
  t.match((await admit('10.20.1.200')).v, { ok: true, trunk: 'pbxcore' }, '/24 beats /16');
  t.match((await admit('2001:db8:20:1::1')).v, { ok: true, trunk: 'pbx' });
  t.match((await admit('::ffff:10.20.9.9')).v, { ok: true, trunk: 'pbx' }, 'IPv4-mapped source');
  const out = await admit('198.51.100.7');
  t.same(out.v, { ok: false, status: 403, reason: 'source address not allowed' });
  t.same(out.res.sent, [{ status: 403, reason: 'Forbidden', headers: undefined }]);
  await admit('198.51.100.8');
  const text = (await metrics.render()).body;
  t.match(text, /^spangate_sip_acl_rejected_total 2$/m);
  t.notMatch(text, /198\.51\.100/, 'no per-IP label');
});

t.test('digest auth: challenge, good answer, wrong password 403 (counted), ACK/CANCEL/OPTIONS not challenged', async (t) => {
  const { dir, metrics } = makeDirectory(TRUNKS, { resolver: DNS });
  dir.start();
  t.teardown(() => dir.stop());
  const src = '2001:db8:99::5';
  let res = new Responder();
  const first = await dir.admit(request(src), res);
  t.match(first, { ok: false, status: 401 });
  t.equal(res.sent[0]?.status, 401);
  const www = res.sent[0]?.headers?.['WWW-Authenticate'] ?? '';
  t.match(www, /^Digest realm="spangate\.example", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
  const nonce = /nonce="([^"]+)"/.exec(www)![1]!;
  const auth = (password: string, user = 'uc'): string => {
    const uri = 'sip:+4930555123@192.0.2.99';
    const response = digestResponse({ username: user, realm: 'spangate.example', password, method: 'INVITE', uri, nonce, qop: 'auth', nc: '00000001', cnonce: 'xyz' });
    return `Digest username="${user}", realm="spangate.example", nonce="${nonce}", uri="${uri}", response="${response}", qop=auth, nc=00000001, cnonce="xyz", algorithm=MD5`;
  };
  res = new Responder();
  t.match(await dir.admit(request(src, { headers: { Authorization: auth('in-secret') } }), res), { ok: true, trunk: 'uc' });
  t.same(res.sent, [], 'nothing sent for an admitted request');
  res = new Responder();
  t.match(await dir.admit(request(src, { headers: { Authorization: auth('out-secret') } }), res), { ok: false, status: 403 });
  t.same(res.sent.map((s) => s.status), [403]);
  t.match((await metrics.render()).body, /^spangate_sip_auth_failures_total\{trunk="uc"\} 1$/m);
  for (const method of ['ACK', 'CANCEL', 'OPTIONS']) {
    t.match(await dir.admit(request(src, { method }), new Responder()), { ok: true, trunk: 'uc' }, `${method} not challenged`);
  }
  t.match(await dir.admit(request('192.0.2.10'), new Responder()), { ok: true, trunk: 'carrier' }, 'no realm: no challenge');
});

t.test('stale nonce: 401 with stale=true', async (t) => {
  const { dir, clock } = makeDirectory(TRUNKS, { resolver: DNS, nonceTtlMs: 30_000 });
  const src = '2001:db8:99::5';
  const res = new Responder();
  await dir.admit(request(src), res);
  const nonce = /nonce="([^"]+)"/.exec(res.sent[0]!.headers!['WWW-Authenticate']!)![1]!;
  const uri = 'sip:+4930555123@192.0.2.99';
  const response = digestResponse({ username: 'uc', realm: 'spangate.example', password: 'in-secret', method: 'INVITE', uri, nonce, qop: 'auth', nc: '00000001', cnonce: 'c' });
  const authz = `Digest username="uc", realm="spangate.example", nonce="${nonce}", uri="${uri}", response="${response}", qop=auth, nc=00000001, cnonce="c"`;
  clock.t += 31_000;
  const again = new Responder();
  t.match(await dir.admit(request(src, { headers: { Authorization: authz } }), again), { ok: false, status: 401, reason: 'nonce expired' });
  t.match(again.sent[0]?.headers?.['WWW-Authenticate'], /stale=true/);
});

t.test('targets in configured order with ports; credentials for outbound challenges', async (t) => {
  const { dir } = makeDirectory(TRUNKS, { resolver: DNS });
  dir.start();
  t.teardown(() => dir.stop());
  t.same(await dir.targets('carrier'), [
    { host: '192.0.2.10', port: 5060, transport: 'udp', healthy: true },
    { host: '192.0.2.11', port: 5080, transport: 'udp', healthy: true },
  ]);
  t.same(await dir.targets('pbx'), [{ host: '10.20.1.7', port: 5060, transport: 'tcp', healthy: true, name: 'pbx.branch.example' }]);
  t.same(await dir.targets('uc'), [{ host: '[2001:db8:99::5]', port: 5060, transport: 'udp', healthy: true }], 'IPv6 in brackets (URI host)');
  t.same(await dir.targets('nope'), []);
  t.same(dir.credentials('carrier'), { username: 'gw', password: 'out-secret' });
  t.same(dir.credentials('uc'), { username: 'sbc', password: 'x' }, 'outbound uses authUsername, not the inbound account');
  t.equal(dir.credentials('pbx'), undefined);
  t.same(dir.ids(), ['carrier', 'pbx', 'pbxcore', 'uc']);
  t.equal(dir.settings('pbx')?.transport, 'tcp');
});

t.test('reload: trunks added/removed, ACL follows, health of kept targets stays', async (t) => {
  const { dir, srf, clock } = makeDirectory({ a: { addresses: ['192.0.2.1', '192.0.2.2'] } });
  dir.start();
  t.teardown(() => dir.stop());
  srf.answers.set('sip:192.0.2.2:5060;transport=udp', 'silent');
  await clock.advance(2000 + 2 * 35_000);
  t.same((await dir.targets('a')).map((x) => [x.host, x.healthy]), [['192.0.2.1', true], ['192.0.2.2', false]]);
  dir.reload(config({ a: { addresses: ['192.0.2.2', '192.0.2.3'] }, b: { addresses: ['192.0.2.1'] } }));
  await dir.ready();
  await clock.advance(0);
  t.same((await dir.targets('a')).map((x) => [x.host, x.healthy]), [['192.0.2.3', true], ['192.0.2.2', false]], 'kept target stays down');
  t.match(await dir.admit(request('192.0.2.1'), new Responder()), { ok: true, trunk: 'b' });
  dir.reload(config({ b: { addresses: ['192.0.2.1'] } }));
  t.same(dir.ids(), ['b']);
  t.match(await dir.admit(request('192.0.2.3'), new Responder()), { ok: false, status: 403 });
});

t.test('a DNS server that never answers holds admission at most 3 s', async (t) => {
  const never = { resolveSrv: () => new Promise<never>(() => {}), resolve4: () => new Promise<never>(() => {}), resolve6: () => new Promise<never>(() => {}) };
  const { dir, clock } = makeDirectory({ named: { addresses: ['slow.example'] }, pbx: { acl: ['10.0.0.0/8'] } }, { resolver: never });
  dir.start();
  t.teardown(() => dir.stop());
  let v: unknown;
  void dir.admit(request('10.1.1.1'), new Responder()).then((x) => (v = x));
  await clock.advance(2999);
  t.equal(v, undefined, 'waits for the first resolution');
  await clock.advance(1);
  t.match(v, { ok: true, trunk: 'pbx' });
  t.match(dir.health('named'), { state: 'unknown', detail: /resolving addresses/ });
});
