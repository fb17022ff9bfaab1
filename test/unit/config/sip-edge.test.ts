// sip.edge config: defaults (udp+tcp on 0.0.0.0:5060, embedded, worker), listener checks
// (protocol, address, port range, duplicates and overlaps), TLS files (missing, not PEM, a tls
// listener without them, mutual TLS without a CA), external mode's secret, env overrides, and
// which keys a reload applies.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { defaultConfig, listKeys, loadConfigObject } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors.js';
import { makePki } from '../../fixtures/pki.js';
import { tmpDir } from '../../fixtures/tmp.js';

const load = (edge: Record<string, unknown>, env: Record<string, string> = {}) => loadConfigObject({ sip: { edge } }, { file: 'gw.json', env });

/** The ConfigError message a sip.edge section gets ("accepted" when it loads). */
function problem(edge: Record<string, unknown>): string {
  try {
    load(edge);
    return 'accepted';
  } catch (err) {
    return err instanceof ConfigError ? err.message : `not a ConfigError: ${String(err)}`;
  }
}

t.test('defaults: an embedded edge in a worker on udp and tcp 0.0.0.0:5060', async (t) => {
  const e = defaultConfig().sip.edge;
  t.equal(e.mode, 'embedded');
  t.equal(e.runIn, 'worker');
  t.same(e.listen, [{ proto: 'udp', host: '0.0.0.0', port: 5060 }, { proto: 'tcp', host: '0.0.0.0', port: 5060 }]);
  t.match(e.tls, { cert: '', key: '', ca: '', verifyClient: false, minVersion: 'TLSv1.2' });
  t.same(e.timers, { t1Ms: 500, t2Ms: 4000 });
  t.same(e.overload, { maxInviteRate: 0, maxPendingRequests: 5000, retryAfterS: 5 });
});

t.test('listeners: each problem named with file, key and reason', async (t) => {
  t.match(problem({ listen: [{ proto: 'sctp', host: '0.0.0.0', port: 5060 }] }), /^gw\.json: sip\.edge\.listen: listener 0: proto must be udp, tcp or tls/);
  t.match(problem({ listen: [{ proto: 'udp', host: 'gateway', port: 5060 }] }), /listener 0: host must be an IPv4 or IPv6 address/);
  t.match(problem({ listen: [{ proto: 'udp', host: '0.0.0.0', port: 65536 }] }), /listener 0: port must be a port number between 0 and 65535 \(got 65536\)/);
  t.match(problem({ listen: [{ proto: 'udp', host: '0.0.0.0', port: 5060, tls: true }] }), /unknown field tls/);
  t.match(problem({ listen: [{ proto: 'udp', host: '10.0.0.1', port: 5060 }, { proto: 'udp', host: '10.0.0.1', port: 5060 }] }), /listener 1 \(udp 10\.0\.0\.1:5060\) duplicates or overlaps listener 0/);
  t.match(problem({ listen: [{ proto: 'tcp', host: '0.0.0.0', port: 5060 }, { proto: 'tls', host: '10.0.0.1', port: 5060 }] }), /listener 1 .* overlaps listener 0 .*same TCP port/);
  t.match(problem({ listen: [] }), /sip\.edge\.listen: the embedded edge needs at least one listener/);
  // Not overlapping: other protocol space, other family, ephemeral ports.
  t.doesNotThrow(() => load({ listen: [
    { proto: 'udp', host: '0.0.0.0', port: 5060 }, { proto: 'tcp', host: '0.0.0.0', port: 5060 }, { proto: 'udp', host: '::1', port: 5060 },
    { proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '127.0.0.1', port: 0 },
  ] }));
});

t.test('TLS: files must exist and be PEM; a tls listener needs cert and key; mTLS needs a CA', async (t) => {
  const dir = tmpDir(t);
  makePki(dir, [['gw', 'gw.test', '127.0.21.1']]);
  const tls = { proto: 'tls', host: '0.0.0.0', port: 5061 };
  t.match(problem({ listen: [tls] }), /sip\.edge\.tls\.cert: a tls listener in sip\.edge\.listen needs both/);
  t.match(problem({ listen: [tls], tls: { cert: join(dir, 'nope.crt'), key: join(dir, 'gw.key') } }), /sip\.edge\.tls\.cert: .*nope\.crt: no such file/);
  t.match(problem({ listen: [tls], tls: { cert: join(dir, 'gw.key'), key: join(dir, 'gw.key') } }), /sip\.edge\.tls\.cert: .*gw\.key is not a PEM certificate/);
  t.match(problem({ listen: [tls], tls: { cert: join(dir, 'gw.crt'), key: join(dir, 'gw.crt') } }), /sip\.edge\.tls\.key: .*is not a PEM private key/);
  t.match(problem({ tls: { cert: 'relative.crt' } }), /sip\.edge\.tls\.cert: must be an absolute path/);
  t.match(problem({ listen: [tls], tls: { cert: join(dir, 'gw.crt'), key: join(dir, 'gw.key'), verifyClient: true } }), /sip\.edge\.tls\.ca: sip\.edge\.tls\.verifyClient needs the CA/);
  if (process.getuid?.() !== 0) {
    writeFileSync(join(dir, 'locked.key'), 'x');
    chmodSync(join(dir, 'locked.key'), 0o000);
    t.match(problem({ tls: { cert: join(dir, 'gw.crt'), key: join(dir, 'locked.key') } }), /permission denied/);
  }
  const ok = load({ listen: [{ proto: 'udp', host: '0.0.0.0', port: 5060 }, tls], tls: { cert: join(dir, 'gw.crt'), key: join(dir, 'gw.key'), ca: join(dir, 'ca.crt'), verifyClient: true, minVersion: 'TLSv1.3' } });
  t.equal(ok.sip.edge.tls.minVersion, 'TLSv1.3');
  t.match(problem({ tls: { minVersion: 'TLSv1.0' } }), /sip\.edge\.tls\.minVersion: must be one of "TLSv1\.2", "TLSv1\.3"/);
});

t.test('timers, host map, external mode', async (t) => {
  t.match(problem({ timers: { t1Ms: 500, t2Ms: 400 } }), /sip\.edge\.timers\.t2Ms: must not be below sip\.edge\.timers\.t1Ms/);
  t.match(problem({ timers: { t1Ms: 1 } }), /sip\.edge\.timers\.t1Ms: must be a whole number of milliseconds between 10 and 60000/);
  t.match(problem({ hostMap: { pbx: '10.0.0.7', uc: ['10.0.0.8', 'nope'] } }), /sip\.edge\.hostMap: uc: "nope" is not an IP address/);
  t.same(load({ hostMap: { pbx: '10.0.0.7', uc: ['10.0.0.8', '10.0.0.9'] } }).sip.edge.hostMap, { pbx: '10.0.0.7', uc: ['10.0.0.8', '10.0.0.9'] });
  t.match(problem({ mode: 'external' }), /sip\.edge\.external\.secret: external mode needs the drachtio-server shared secret/);
  t.match(problem({ mode: 'external', external: { secret: 'a|b' } }), /sip\.edge\.external\.secret: must be a string without "\|"/);
  const ext = load({ mode: 'external', listen: [], external: { host: 'drachtio.example', port: 9022, secret: 'cymru', tls: true } });
  t.match(ext.sip.edge.external, { host: 'drachtio.example', port: 9022, secret: 'cymru', tls: true });
});

t.test('environment overrides, and what a reload may change', async (t) => {
  const c = load({}, { SPANGATE_SIP_LISTEN: '[{"proto":"udp","host":"127.0.0.1","port":0}]', SPANGATE_SIP_EDGE_RUN_IN: 'child', SPANGATE_SIP_MAX_INVITE_RATE: '40' });
  t.same(c.sip.edge.listen, [{ proto: 'udp', host: '127.0.0.1', port: 0 }]);
  t.equal(c.sip.edge.runIn, 'child');
  t.equal(c.sip.edge.overload.maxInviteRate, 40);
  try {
    load({}, { SPANGATE_SIP_LISTEN: '[{"proto":"udp","host":"127.0.0.1","port":99999}]' });
    t.fail('accepted');
  } catch (err) {
    t.match((err as Error).message, /^environment: sip\.edge\.listen: from environment variable SPANGATE_SIP_LISTEN: listener 0: port must be/);
  }
  const reloadable = listKeys().filter((k) => k.path.startsWith('sip.edge.') && k.spec.reloadable).map((k) => k.path);
  t.same(reloadable, ['sip.edge.overload.maxInviteRate', 'sip.edge.overload.maxPendingRequests', 'sip.edge.overload.retryAfterS'], 'listeners, mode, TLS, timers: restart');
  t.ok(listKeys().find((k) => k.path === 'sip.edge.external.secret')?.spec.sensitive, 'the secret is redacted');
});
