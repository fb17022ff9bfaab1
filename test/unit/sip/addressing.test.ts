import t from 'tap';
import { hasOptionTag, outboundAddressing, sipUser, uriUser, viaLists, warning } from '../../../src/sip/addressing.js';
import { resolveTrunk } from '../../../src/sip/trunk-profiles.js';

const plan = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' };
const udp = { host: '192.0.2.10', port: 5060, transport: 'udp' as const, healthy: true };
const tls = { host: 'sip.pstnhub.example', port: 5061, transport: 'tls' as const, healthy: true };

t.test('E.164 trunk: Request-URI and To carry +number, user=phone', async (t) => {
  const a = outboundAddressing({ called: '030555200', calling: '+4930555100', target: udp, settings: resolveTrunk('x', {}), plan });
  t.equal(a.requestUri, 'sip:+4930555200@192.0.2.10:5060');
  t.equal(a.headers.To, '<sip:+4930555200@192.0.2.10;user=phone>');
  t.equal(a.headers.From, '<sip:+4930555100@localhost;user=phone>', 'the edge fills in localhost');
  t.equal(a.called, '+4930555200');
  t.notOk(a.headers.Contact, 'no Contact: the edge builds it');
});

t.test('national format, OCS stripPlus, transport and contactFqdn, History-Info, loop header', async (t) => {
  const nat = outboundAddressing({ called: '+4930555200', calling: '+4930555100', target: udp, settings: resolveTrunk('x', { numberFormat: 'national' }), plan });
  t.equal(nat.requestUri, 'sip:030555200@192.0.2.10:5060');
  t.equal(nat.calling, '030555100');
  const s = resolveTrunk('teams', { profile: 'teams', contactFqdn: 'sbc.example.com', stripPlusInRequestUri: true });
  const a = outboundAddressing({ called: '+4930555200', calling: '+4930555100', target: tls, settings: s, plan, instanceId: 'gw1', localPort: 5061 });
  t.equal(a.requestUri, 'sip:4930555200@sip.pstnhub.example:5061;transport=tls', 'plus stripped in the Request-URI only');
  t.equal(a.headers.To, '<sip:+4930555200@sip.pstnhub.example;user=phone>');
  t.equal(a.headers.From, '<sip:+4930555100@sbc.example.com;user=phone>');
  t.equal(a.headers.Contact, '<sip:+4930555100@sbc.example.com:5061;transport=tls>');
  t.equal(a.headers['History-Info'], '<sip:4930555200@sip.pstnhub.example:5061;transport=tls>;index=1');
  t.equal(a.headers['X-Spangate-Via'], 'gw1');
});

t.test('a target resolved from a name: the name in Request-URI and To, the address as proxy (over TLS the name)', async (t) => {
  const a = outboundAddressing({ called: '+4930555200', calling: '+4930555100', target: { ...tls, host: '52.114.0.1', name: 'sip.pstnhub.example' }, settings: resolveTrunk('x', {}), plan });
  t.equal(a.requestUri, 'sip:+4930555200@sip.pstnhub.example:5061;transport=tls');
  t.equal(a.headers.To, '<sip:+4930555200@sip.pstnhub.example;user=phone>');
  t.equal(a.proxy, 'sip:sip.pstnhub.example:5061;transport=tls', 'TLS: the certificate is checked against the name');
  const u = outboundAddressing({ called: '1', calling: '2', target: { ...udp, port: 5060, name: 'pbx.example' }, settings: resolveTrunk('x', {}), plan });
  t.equal(u.proxy, 'sip:192.0.2.10:5060', 'UDP/TCP: the resolved address');
  t.equal(outboundAddressing({ called: '1', calling: '2', target: udp, settings: resolveTrunk('x', {}), plan }).proxy, undefined);
});

t.test('restricted presentation: anonymous From, PAI and Privacy: id', async (t) => {
  const a = outboundAddressing({ called: '+4930555200', calling: '+4930555100', callingPresentation: 'restricted', target: udp, settings: resolveTrunk('x', {}), plan });
  t.equal(a.headers.From, '"Anonymous" <sip:anonymous@anonymous.invalid>');
  t.equal(a.headers.Privacy, 'id');
  t.equal(a.headers['P-Asserted-Identity'], '<sip:+4930555100@localhost;user=phone>');
  const none = outboundAddressing({ called: '200', calling: '', target: udp, settings: resolveTrunk('x', { numberFormat: 'as-is' }), plan });
  t.equal(none.headers.From, '<sip:anonymous@localhost>');
});

t.test('IPv6 hosts are bracketed; bad user characters refused', async (t) => {
  const a = outboundAddressing({ called: '200', calling: '100', target: { ...udp, host: '2001:db8::1' }, settings: resolveTrunk('x', { numberFormat: 'as-is' }), plan });
  t.equal(a.requestUri, 'sip:200@[2001:db8::1]:5060');
  t.equal(sipUser('12#'), '12%23');
  t.equal(sipUser('a b'), '');
});

t.test('uriUser, option tags, loop header, Warning', async (t) => {
  t.equal(uriUser('"Bob" <sip:+4930555100@pbx.example;user=phone>;tag=1'), '+4930555100');
  t.equal(uriUser('sip:200@10.0.0.1:5060'), '200');
  t.equal(uriUser('<tel:+4930555100>'), '+4930555100');
  t.equal(uriUser('<sip:pbx.example>'), '');
  t.equal(uriUser('<sip:12%23@x>'), '12#');
  t.equal(uriUser(undefined), '');
  t.ok(hasOptionTag('timer, 100rel', '100rel'));
  t.notOk(hasOptionTag('timer', '100rel'));
  t.ok(viaLists('gw2, gw1', 'gw1'));
  t.notOk(viaLists('gw10', 'gw1'));
  t.equal(warning(399, 'sbc', 'bad "sdp"'), '399 sbc "bad  sdp "');
});
