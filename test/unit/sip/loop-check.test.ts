import t from 'tap';
import { ownViaIn, parseMaxForwards, viaSentBys } from '../../../src/sip/loop-check.js';

t.test('Max-Forwards', async (t) => {
  t.equal(parseMaxForwards(undefined), undefined);
  t.equal(parseMaxForwards(' 70 '), 70);
  t.equal(parseMaxForwards('0'), 0);
  t.ok(parseMaxForwards('256') instanceof Error);
  t.ok(parseMaxForwards('-1') instanceof Error);
  t.ok(parseMaxForwards('7a') instanceof Error);
});

t.test('Via sent-by values, default ports, IPv6, case', async (t) => {
  t.same(viaSentBys('SIP/2.0/UDP 10.0.0.1:5080;branch=z9hG4bK1, SIP/2.0/TLS Gw.Example.com;branch=z9hG4bK2,SIP/2.0/TCP [2001:db8::1]:5062;rport'),
    ['10.0.0.1:5080', 'gw.example.com:5061', '[2001:db8::1]:5062']);
  t.same(viaSentBys('SIP / 2.0 / UDP 10.0.0.2 ;branch=x'), ['10.0.0.2:5060']);
  t.same(viaSentBys(undefined), []);
  t.same(viaSentBys('garbage'), []);
});

t.test('our own sent-by anywhere in the chain', async (t) => {
  const via = 'SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK1,SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK2';
  t.equal(ownViaIn(via, ['192.0.2.10:5060']), '192.0.2.10:5060');
  t.equal(ownViaIn(via, ['192.0.2.10:5061']), undefined);
  t.equal(ownViaIn(via, []), undefined);
});
