// `spangate route test` offline (--config FILE) in-process; the daemon path is in
// test/integration/daemon-ops.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cli } from '../../../fixtures/cli.js';
import { tmpDir } from '../../../fixtures/tmp.js';

const ROUTING = {
  plan: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
  trunks: { carrier: { role: 'pstn', numberFormat: 'e164' }, pbx: { role: 'pbx', numberFormat: 'national' } },
  sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }] }],
  routes: [{ id: 'emergency', called: '/^(110|112)$/', targets: ['carrier'] }],
};

t.test('route test --config evaluates the file offline and says why', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ routing: ROUTING }));
  const r = await cli(['route', 'test', 'carrier', '+4930555123', '--calling', '+4989123', '--config', file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^ROUTE pbx:030555123\n/, 'national format toward the PBX');
  t.match(r.stdout, /owned by pbx/);
  t.match(r.stdout, `(offline, routing of ${file})`);

  const emergency = await cli(['route', 'test', 'pbx', '112', '-c', file]);
  t.match(emergency.stdout, /route 'emergency' matches/);

  const refused = await cli(['route', 'test', 'carrier', '+4940999', '-c', file]);
  t.equal(refused.code, 0);
  t.match(refused.stdout, /^REFUSE cause 1 \(/);

  const json = await cli(['route', 'test', 'carrier', '+4930555123', '-c', file, '--json']);
  t.match(JSON.parse(json.stdout), { source: /^offline/, targets: [{ trunk: 'pbx', called: '030555123' }], explanation: Array });

  writeFileSync(file, JSON.stringify({ routing: { ...ROUTING, routes: [{ id: 'x', targets: ['nowhere'] }] } }));
  const bad = await cli(['route', 'test', 'carrier', '1', '-c', file]);
  t.equal(bad.code, 2, 'a bad routing config is a config error');
  t.match(bad.stderr, /routing\.routes/);
});

t.test('route test arguments', async (t) => {
  const missing = await cli(['route', 'test', 'carrier']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /missing required argument 'number'/);
  const help = await cli(['route', 'test', '--help']);
  t.match(help.stdout, /^Usage: spangate route test \[options\] <from-trunk> <number>/);
  const none = await cli(['route', 'test', 'carrier', '1', '--socket', '/nonexistent/admin.sock']);
  t.equal(none.code, 3, 'no daemon: exit 3');
  t.match(none.stderr, /daemon is not running .*; to evaluate a config file offline: --config FILE/);
});
