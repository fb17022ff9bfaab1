// A TLS trunk's settings against the edge's TLS (one listener, certificate and minimum version
// for every trunk): what would fail at the first call, or be weaker than configured, is noted.
import t from 'tap';
import { loadConfigObject } from '../../../../src/config/index.js';
import { resolveTrunk } from '../../../../src/sip/trunk-profiles.js';
import { tlsNotes } from '../../../../src/sip/trunks/tls-check.js';
import { makeDirectory } from './fakes.js';

const edge = (o: Record<string, unknown> = {}) => ({
  mode: 'embedded' as const,
  listen: [{ proto: 'udp' as const, host: '0.0.0.0', port: 5060 }, { proto: 'tls' as const, host: '0.0.0.0', port: 5061 }],
  tls: { cert: '/etc/spangate/tls/server.crt', key: '/etc/spangate/tls/server.key', ca: '/etc/spangate/tls/ca.crt', verifyClient: true, verifyServer: true, minVersion: 'TLSv1.2' as const },
  ...o,
});

t.test('a teams trunk on an edge set up for it: no notes', async (t) => {
  t.same(tlsNotes(resolveTrunk('teams', { profile: 'teams' }), edge() as never), []);
  t.same(tlsNotes(resolveTrunk('pbx', { profile: 'ocs2007' }), edge({ listen: [] }) as never), [], 'not a TLS trunk');
  t.same(tlsNotes(resolveTrunk('teams', { profile: 'teams' }), edge({ mode: 'external', listen: [] }) as never), [], 'an external server\'s TLS is not known');
});

t.test('what the edge lacks is named with the key to set', async (t) => {
  const teams = resolveTrunk('teams', { profile: 'teams', tlsMinVersion: 'TLSv1.3' });
  const notes = tlsNotes(teams, edge({ listen: [{ proto: 'udp', host: '0.0.0.0', port: 5060 }], tls: { cert: '', key: '', ca: '', verifyClient: false, verifyServer: true, minVersion: 'TLSv1.2' } }) as never);
  t.match(notes, [/no TLS listener in sip\.edge\.listen/, /sip\.edge\.tls\.cert and key/, /TLSv1\.3 is not enforced.*sip\.edge\.tls\.minVersion/]);
  const unverified = tlsNotes(resolveTrunk('lync', { profile: 'lync' }), edge({ tls: { ...edge().tls, verifyClient: false } }) as never);
  t.match(unverified, [/verifyClient is off/]);
});

t.test('the directory logs them and shows them in the trunk\'s health', async (t) => {
  const { dir } = makeDirectory({ teams: { profile: 'teams', addresses: ['192.0.2.40'], options: { enabled: false } } });
  t.match(dir.health('teams')?.detail ?? '', /no TLS listener.*sip\.edge\.tls\.cert and key/);
  dir.reload(loadConfigObject({ sip: { trunks: { teams: { profile: 'teams', addresses: ['192.0.2.40'], transport: 'tcp', mutualTls: false, srtp: 'off', options: { enabled: false } } } } }, { env: {} }));
  t.notMatch(dir.health('teams')?.detail ?? '', /TLS/, 'gone once the trunk is no longer TLS');
});
