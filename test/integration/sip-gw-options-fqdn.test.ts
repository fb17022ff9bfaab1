// OPTIONS keepalive From/Contact through the real daemon and edge: a trunk with contactFqdn
// (as the teams profile has) sends OPTIONS whose From and Contact carry that name, as its calls
// do; a trunk without one still gets the edge's own address filled in.
import t from 'tap';
import { PORTS } from './support/gateway.js';
import { startSipp, twoTrunkGateway } from './support/calls.js';

const FQDN = 'sbc.branch.example';

t.test('OPTIONS From and Contact carry the trunk\'s contactFqdn', async (t) => {
  const gw = await twoTrunkGateway(t, 30, {
    uc: { options: { intervalS: 1 }, extra: { contactFqdn: FQDN } },
    pbx: { options: { intervalS: 1 } },
  });
  const uc = await startSipp(t, { scenario: 'uas-options-log.xml', ip: gw.addr.uc, port: PORTS.uas, calls: 1 });
  const pbx = await startSipp(t, { scenario: 'uas-options-log.xml', ip: gw.addr.pbx, port: PORTS.uas, calls: 1 });
  const withFqdn = await uc.waitEvent('options-headers', { timeoutMs: 30_000 });
  const plain = await pbx.waitEvent('options-headers', { timeoutMs: 30_000 });
  t.match(withFqdn.from, new RegExp(`^<sip:spangate@${FQDN.replace(/\./g, '\\.')}>;tag=`), `From names the FQDN: ${withFqdn.from}`);
  t.match(withFqdn.contact, new RegExp(`^<sip:${FQDN.replace(/\./g, '\\.')}:${PORTS.sip};transport=udp>$`), `Contact names the FQDN and our port: ${withFqdn.contact}`);
  t.notMatch(withFqdn.from + withFqdn.contact, gw.addr.gw, 'no gateway address in From or Contact');
  t.match(plain.from, `@${gw.addr.gw}:${PORTS.sip}`, `without an FQDN the edge fills in its address: ${plain.from}`);
  t.notMatch(plain.from, /localhost/);
  await Promise.all([uc.done, pbx.done]);
});
