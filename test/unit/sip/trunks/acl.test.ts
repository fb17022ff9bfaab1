import t from 'tap';
import { AclTable, contains, ipBytes, parseNetwork } from '../../../../src/sip/trunks/acl.js';

t.test('addresses to bytes: IPv4, IPv6, IPv4-mapped, brackets, zones', async (t) => {
  t.same([...ipBytes('192.0.2.1')!], [192, 0, 2, 1]);
  t.same([...ipBytes('::ffff:192.0.2.1')!], [192, 0, 2, 1], 'IPv4-mapped compares as IPv4');
  t.same([...ipBytes('2001:db8::1')!], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  t.same([...ipBytes('[2001:db8::1]')!], [...ipBytes('2001:db8::1')!]);
  t.same([...ipBytes('fe80::1%eth0')!].slice(0, 2), [0xfe, 0x80]);
  t.same([...ipBytes('::')!], Array(16).fill(0));
  t.same([...ipBytes('64:ff9b::192.0.2.33')!].slice(12), [192, 0, 2, 33]);
  t.equal(ipBytes('example.com'), undefined);
  t.equal(ipBytes('300.1.1.1'), undefined);
});

t.test('networks and containment', async (t) => {
  const n = parseNetwork('192.0.2.0/25');
  t.ok(contains(n, ipBytes('192.0.2.127')!));
  t.notOk(contains(n, ipBytes('192.0.2.128')!));
  t.ok(contains(parseNetwork('0.0.0.0/0'), ipBytes('203.0.113.9')!));
  t.notOk(contains(parseNetwork('0.0.0.0/0'), ipBytes('2001:db8::1')!), 'IPv4 networks never contain IPv6 addresses');
  t.ok(contains(parseNetwork('2001:db8:a::/48'), ipBytes('2001:db8:a:ffff::9')!));
  t.notOk(contains(parseNetwork('2001:db8:a::/48'), ipBytes('2001:db8:b::9')!));
  t.ok(contains(parseNetwork('2001:db8::/29'), ipBytes('2001:dbf::1')!), 'prefix not on a byte boundary');
  t.notOk(contains(parseNetwork('2001:db8::/29'), ipBytes('2001:dc0::1')!));
  t.same(parseNetwork('::ffff:10.0.0.0/104'), { bytes: Uint8Array.from([10, 0, 0, 0]), prefix: 8 });
  t.equal(parseNetwork('10.1.2.3').prefix, 32, 'a bare address is a host route');
  t.throws(() => parseNetwork('10.0.0.0/33'));
  t.throws(() => parseNetwork('nonsense/8'));
});

t.test('most specific prefix wins, ties by trunk id, whatever the insertion order', async (t) => {
  for (const order of [0, 1]) {
    const acl = new AclTable();
    const adds: [string, string[]][] = [
      ['wide', ['10.0.0.0/8', '2001:db8::/32']],
      ['narrow', ['10.1.0.0/16', '2001:db8:1::/48']],
      ['zeta', ['10.1.2.3']],
      ['alpha', ['10.1.2.3/32']],
    ];
    for (const [id, nets] of order ? adds.reverse() : adds) acl.add(id, nets);
    t.equal(acl.match('10.9.9.9'), 'wide');
    t.equal(acl.match('10.1.9.9'), 'narrow');
    t.equal(acl.match('10.1.2.3'), 'alpha', 'equal prefixes: lowest trunk id');
    t.equal(acl.match('::ffff:10.1.9.9'), 'narrow');
    t.equal(acl.match('2001:db8:1::5'), 'narrow');
    t.equal(acl.match('2001:db8:2::5'), 'wide');
    t.equal(acl.match('192.0.2.1'), undefined);
    t.equal(acl.match('not-an-ip'), undefined);
  }
});
