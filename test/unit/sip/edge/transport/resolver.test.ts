// RFC 3263 resolution against an injected DNS and the static host map.
import t from 'tap';
import { parseUri } from '../../../../../src/sip/edge/message/index.js';
import { SipResolver, orderSrv, type DnsLookup } from '../../../../../src/sip/edge/transport/index.js';
import { SignalingError } from '../../../../../src/errors.js';

function fakeDns(zone: {
  naptr?: Record<string, Array<{ flags: string; service: string; replacement: string; order: number; preference: number }>>;
  srv?: Record<string, Array<{ name: string; port: number; priority: number; weight: number }>>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
}): DnsLookup & { queries: string[] } {
  const queries: string[] = [];
  const get = <T>(table: Record<string, T[]> | undefined, type: string, name: string): Promise<T[]> => {
    queries.push(`${type} ${name}`);
    const v = table?.[name];
    return v ? Promise.resolve(v) : Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }));
  };
  return {
    queries,
    resolveNaptr: (n) => get(zone.naptr, 'NAPTR', n).then((rs) => rs.map((r) => ({ ...r, regexp: '' }))),
    resolveSrv: (n) => get(zone.srv, 'SRV', n),
    resolve4: (n) => get(zone.a, 'A', n),
    resolve6: (n) => get(zone.aaaa, 'AAAA', n),
  };
}

t.test('IP literal: no DNS, default ports by transport', async (t) => {
  const dns = fakeDns({});
  const r = new SipResolver({ dns });
  t.same(await r.resolve(parseUri('sip:a@127.0.2.9')), [{ protocol: 'udp', address: '127.0.2.9', port: 5060, servername: undefined }]);
  t.same(await r.resolve(parseUri('sip:a@127.0.2.9;transport=TCP')), [{ protocol: 'tcp', address: '127.0.2.9', port: 5060, servername: undefined }]);
  t.same(await r.resolve(parseUri('sips:a@[::1]')), [{ protocol: 'tls', address: '::1', port: 5061, servername: undefined }]);
  t.same(await r.resolve(parseUri('sip:a@127.0.2.9:5080;maddr=127.0.2.10')), [{ protocol: 'udp', address: '127.0.2.10', port: 5080, servername: undefined }]);
  t.same(dns.queries, []);
});

t.test('NAPTR then SRV then A, in order, with failover list', async (t) => {
  const dns = fakeDns({
    naptr: {
      'example.com': [
        { flags: 'S', service: 'SIP+D2U', replacement: '_sip._udp.example.com', order: 20, preference: 10 },
        { flags: 'S', service: 'SIP+D2T', replacement: '_sip._tcp.example.com', order: 10, preference: 10 },
        { flags: 'S', service: 'SIPS+D2T', replacement: '_sips._tcp.example.com', order: 30, preference: 10 },
        { flags: 'U', service: 'E2U+sip', replacement: '', order: 1, preference: 1 },
      ],
    },
    srv: {
      '_sip._tcp.example.com': [
        { name: 'b.example.com', port: 5070, priority: 20, weight: 0 },
        { name: 'a.example.com', port: 5060, priority: 10, weight: 0 },
      ],
      '_sip._udp.example.com': [{ name: 'a.example.com', port: 5060, priority: 10, weight: 0 }],
    },
    a: { 'a.example.com': ['127.0.2.20', '127.0.2.21'], 'b.example.com': ['127.0.2.22'] },
  });
  const r = new SipResolver({ dns });
  const out = await r.resolve(parseUri('sip:user@example.com'));
  t.same(out.map((x) => `${x.protocol} ${x.address}:${x.port}`), [
    'tcp 127.0.2.20:5060', 'tcp 127.0.2.21:5060', 'tcp 127.0.2.22:5070', 'udp 127.0.2.20:5060', 'udp 127.0.2.21:5060',
  ]);
  t.equal(out[0].servername, 'example.com');
  const sips = await new SipResolver({ dns }).resolve(parseUri('sips:user@example.com')).catch((e: unknown) => e);
  t.ok(sips instanceof SignalingError, 'sips with no SIPS NAPTR target fails');
});

t.test('no NAPTR: SRV per transport; no SRV: A with default port; explicit port: A only', async (t) => {
  const dns = fakeDns({
    srv: { '_sip._tcp.noptr.example': [{ name: 'h.noptr.example', port: 5090, priority: 1, weight: 1 }] },
    a: { 'h.noptr.example': ['127.0.2.30'], 'plain.example': ['127.0.2.31'] },
    aaaa: { 'plain.example': ['::1'] },
  });
  const r = new SipResolver({ dns });
  t.same((await r.resolve(parseUri('sip:noptr.example'))).map((x) => `${x.protocol} ${x.address}:${x.port}`), ['tcp 127.0.2.30:5090']);
  t.same((await r.resolve(parseUri('sip:plain.example'))).map((x) => `${x.protocol} ${x.address}:${x.port}`), ['udp 127.0.2.31:5060', 'udp ::1:5060']);
  dns.queries.length = 0;
  t.same((await r.resolve(parseUri('sip:plain.example:5099;transport=tcp'))).map((x) => `${x.protocol} ${x.address}:${x.port}`), ['tcp 127.0.2.31:5099', 'tcp ::1:5099']);
  t.same(dns.queries, ['A plain.example', 'AAAA plain.example']);
  await t.rejects(r.resolve(parseUri('sip:nowhere.example')), SignalingError);
  await t.rejects(r.resolve(parseUri('tel:+123')), SignalingError);
});

t.test('static host map answers first; protocols filter', async (t) => {
  const dns = fakeDns({});
  const r = new SipResolver({ dns, hosts: { 'PBX.local': ['127.0.2.40'] }, protocols: ['udp', 'tcp'] });
  t.same(await r.resolve(parseUri('sip:x@pbx.local;transport=tcp')), [{ protocol: 'tcp', address: '127.0.2.40', port: 5060, servername: 'pbx.local' }]);
  t.same(dns.queries, []);
  await t.rejects(r.resolve(parseUri('sips:x@pbx.local')), SignalingError, 'no TLS allowed');
});

t.test('SRV weights: priority first, weight-proportional choice', async (t) => {
  const recs = [
    { name: 'z', priority: 2, weight: 0 },
    { name: 'heavy', priority: 1, weight: 90 },
    { name: 'light', priority: 1, weight: 10 },
  ];
  t.same(orderSrv(recs, () => 0).map((r) => r.name), ['light', 'heavy', 'z']);
  t.same(orderSrv(recs, () => 0.99).map((r) => r.name), ['heavy', 'light', 'z']);
  let heavyFirst = 0;
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 1000; i++) if (orderSrv(recs, rnd)[0].name === 'heavy') heavyFirst++;
  t.ok(heavyFirst > 800 && heavyFirst < 980, `heavy first ${heavyFirst}/1000`);
});
