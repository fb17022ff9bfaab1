// The routing subsystem: compiled at construction, route.test over the admin registry, a good
// reload swaps the tables, a bad one throws and leaves the old tables in charge.
import t from 'tap';
import { ConfigError, AdminError } from '../../../src/errors.js';
import { RoutingSubsystem, requestOf, compileFromConfig, routeTest } from '../../../src/routing/subsystem.js';
import type { SpangateConfig } from '../../../src/config/index.js';
import { admin, config, memoryLog } from '../../fixtures/subsystem.js';

const ROUTING = {
  plan: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
  trunks: { carrier: { role: 'pstn', numberFormat: 'e164' }, pbx: { role: 'pbx', numberFormat: 'e164' }, teams: { role: 'uc', numberFormat: 'e164' } },
  sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }] }],
};

/** A config whose routing section is not checked at load (as a subsystem might see it). */
function unchecked(cfg: SpangateConfig, routing: Record<string, unknown>): SpangateConfig {
  return { ...cfg, routing: { ...cfg.routing, ...routing } } as SpangateConfig;
}

t.test('route.test answers with the decision and its explanation', async (t) => {
  const a = admin();
  const r = new RoutingSubsystem({ config: config({ routing: ROUTING }), log: memoryLog().log, admin: a });
  await r.start();
  const res = (await a.call('route.test', { fromTrunk: 'carrier', called: '+4930555123', calling: '+4989123' })) as ReturnType<RoutingSubsystem['test']>;
  t.same(res.decision.targets.map((x) => x.trunk), ['pbx']);
  t.match(res.text, /^ROUTE pbx:\+4930555123\n/);
  t.match(res.text, /owned by pbx/);
  t.match(r.health(), { status: 'ok', detail: '0 routes, 1 sites, 3 trunks (generation 1)' });
  await t.rejects(a.call('route.test', { fromTrunk: 'carrier' }), AdminError);
  t.throws(() => requestOf({ fromTrunk: 1, called: '1' }), /fromTrunk must be a non-empty string/);
  t.same(requestOf({ fromTrunk: 'x', called: '1' }), { fromTrunk: 'x', called: '1', calling: '' });
});

t.test('test() leaves no trace in the loop guard; decide() does', async (t) => {
  const cfg = config({ routing: { ...ROUTING, loopGuard: { windowMs: 60_000, maxArrivals: 1 } } });
  const r = new RoutingSubsystem({ config: cfg, log: memoryLog().log, admin: admin() });
  const req = { fromTrunk: 'carrier', called: '+4930555123', calling: '+4989123' };
  for (let i = 0; i < 3; i++) t.equal(r.test(req).decision.targets.length, 1);
  t.equal(r.decide(req).targets.length, 1);
  t.equal(r.decide(req).cause, 25, 'second real arrival within the window is a loop');
});

t.test('reload: good tables replace the old ones; bad ones are refused and the old stay', async (t) => {
  const { log, lines } = memoryLog();
  const cfg = config({ routing: ROUTING });
  const r = new RoutingSubsystem({ config: cfg, log, admin: admin() });
  const req = { fromTrunk: 'carrier', called: '+4930555123', calling: '' };
  t.same(r.decide(req).targets.map((x) => x.trunk), ['pbx']);

  const moved = config({ routing: { ...ROUTING, sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'teams' }] }] } });
  r.reload(moved);
  t.equal(r.generation, 2);
  t.same(r.decide(req).targets.map((x) => x.trunk), ['teams'], 'range moved to the UC server');
  t.ok(lines.some((l) => l.event === 'routing-reloaded'));

  const bad = unchecked(moved, { routes: [{ id: 'x', called: '/(/', targets: ['teams'] }] });
  t.throws(() => r.reload(bad), ConfigError);
  const unknown = unchecked(moved, { routes: [{ id: 'y', targets: ['nowhere'] }] });
  t.throws(() => r.reload(unknown), ConfigError);
  t.equal(r.generation, 2);
  t.same(r.decide(req).targets.map((x) => x.trunk), ['teams'], 'old tables still route');
});

t.test('offline evaluation uses the same compile and format', async (t) => {
  const res = routeTest(compileFromConfig(config({ routing: ROUTING })), { fromTrunk: 'teams', called: '+4930555199', calling: '+4930555300' });
  t.match(res.text, /^ROUTE pbx:\+4930555199/);
  const refused = routeTest(compileFromConfig(config({ routing: ROUTING })), { fromTrunk: 'ghost', called: '1', calling: '' });
  t.match(refused.text, /^REFUSE cause 21/);
});
