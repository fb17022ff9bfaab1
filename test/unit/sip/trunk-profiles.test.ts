import t from 'tap';
import { resolveTrunk, legMediaOptions, inboundCredentials, GENERIC, PROFILES } from '../../../src/sip/trunk-profiles.js';
import { ConfigError } from '../../../src/errors.js';

t.test('teams profile: TLS 1.2 on 5061, OPTIONS 60 s, SDES SRTP, REFER local, History-Info', async (t) => {
  const s = resolveTrunk('teams', { profile: 'teams', contactFqdn: 'sbc1.branch.example.com' });
  t.equal(s.transport, 'tls'); t.equal(s.port, 5061); t.equal(s.tlsMinVersion, 'TLSv1.2');
  t.equal(s.options.intervalS, 60);
  t.equal(s.srtp, 'required'); t.same(s.srtpSuites, ['AES_CM_128_HMAC_SHA1_80']);
  t.equal(s.refer, 'local'); t.equal(s.historyInfo, true);
  t.same(s.addresses, ['sip.pstnhub.microsoft.com', 'sip2.pstnhub.microsoft.com', 'sip3.pstnhub.microsoft.com']);
  t.equal(s.contactFqdn, 'sbc1.branch.example.com');
  t.same(legMediaOptions(s), { transport: 'RTP/SAVP', codecs: ['G722', 'PCMU', 'PCMA', 'telephone-event'], symmetric: true, dtmf: 'rfc4733', srtpSuites: ['AES_CM_128_HMAC_SHA1_80'] });
});

t.test('ocs2007 and lync presets', async (t) => {
  const o = resolveTrunk('ocs', { profile: 'ocs2007', addresses: ['10.1.1.5'] });
  t.equal(o.transport, 'tcp'); t.equal(o.port, 5068); t.same(o.codecs, ['PCMU', 'PCMA', 'telephone-event']); t.equal(o.srtp, 'off');
  t.equal(legMediaOptions(o).transport, 'RTP/AVP');
  t.equal(legMediaOptions(o).srtpSuites, undefined);
  const l = resolveTrunk('lync', { profile: 'lync', addresses: ['med.example.com:5067'] });
  t.equal(l.mutualTls, true); t.equal(l.srtp, 'optional'); t.equal(l.refer, 'local');
  t.equal(legMediaOptions(l).transport, 'RTP/AVP', 'optional SRTP: plain offers, SRTP accepted');
});

t.test('overrides win over the profile, options merge key by key', async (t) => {
  const s = resolveTrunk('carrier', { profile: 'teams', codecs: ['PCMA'], options: { intervalS: 30 }, maxCalls: 30, maxCps: 5 });
  t.same(s.codecs, ['PCMA']);
  t.equal(s.options.intervalS, 30); t.equal(s.options.timeoutMs, 5000, 'rest of the profile options kept');
  t.equal(s.maxCalls, 30);
  const g = resolveTrunk('g', {});
  t.same(g, { ...GENERIC });
  t.same(Object.keys(PROFILES).sort(), ['generic', 'lync', 'ocs2007', 'teams']);
  t.not(GENERIC.options, g.options, 'no shared mutable state between trunks');
});

t.test('bad settings name the key', async (t) => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['x', { profile: 'skype' }, /sip\.trunks\.x\.profile/],
    ['x', { colour: 'red' }, /sip\.trunks\.x\.colour/],
    ['x', { transport: 'sctp' }, /transport/],
    ['x', { port: 70000 }, /port/],
    ['x', { addresses: ['a b'] }, /addresses/],
    ['x', { addresses: ['host:99999'] }, /addresses/],
    ['x', { mutualTls: true }, /mutualTls/],
    ['x', { dtmfInfoType: 'xml' }, /dtmfInfoType/],
    ['x', { contactFqdn: '10.0.0.1' }, /contactFqdn/],
    ['x', { options: { intervalS: 0 } }, /options\.intervalS/],
    ['x', { acl: ['10.0.0.0/33'] }, /acl/],
    ['x', { acl: ['nonsense'] }, /acl/],
    ['x', { codecs: ['SILK'] }, /codecs/],
    ['x', { codecs: [] }, /codecs/],
    ['x', { srtp: 'required' }, /srtp/],
    ['x', { dtmf: 'smoke' }, /dtmf/],
    ['x', { authPassword: 'p' }, /authUsername/],
    ['x', { inboundAuthPassword: 'p' }, /inboundAuthUsername/],
    ['x', { inboundAuthRealm: 'r' }, /inboundAuthRealm/],
    ['x', { inboundAuthRealm: 'a"b', authUsername: 'u', authPassword: 'p' }, /inboundAuthRealm/],
    ['x', { inboundAuthRealm: 'r', inboundAuthUsername: 'u' }, /inboundAuthRealm/],
    ['bad id', {}, /sip\.trunks\.bad id/],
  ];
  for (const [id, input, path] of cases) {
    try { resolveTrunk(id, input as never); t.fail(`accepted ${JSON.stringify(input)}`); } catch (e) {
      t.ok(e instanceof ConfigError, JSON.stringify(input));
      t.match((e as ConfigError).path, path);
    }
  }
  t.doesNotThrow(() => resolveTrunk('ok', { acl: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'], addresses: ['[2001:db8::1]:5061'], transport: 'tls' }));
  t.doesNotThrow(() => resolveTrunk('ok', { addresses: ['2001:db8::1'] }), 'a bare IPv6 address');
});

t.test('inbound digest credentials: own fields, else the shared account', async (t) => {
  const shared = resolveTrunk('a', { inboundAuthRealm: 'gw.example', authUsername: 'u', authPassword: 'p' });
  t.same(inboundCredentials(shared), { username: 'u', password: 'p' });
  const own = resolveTrunk('b', { inboundAuthRealm: 'gw.example', authUsername: 'u', authPassword: 'p', inboundAuthUsername: 'in', inboundAuthPassword: 'q' });
  t.same(inboundCredentials(own), { username: 'in', password: 'q' });
});
