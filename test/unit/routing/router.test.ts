import t from 'tap';
import { compileRouting, decide, formatDecision, NumberRouter, type RoutingConfig } from '../../../src/routing/router.js';
import { LoopGuard } from '../../../src/routing/loop-guard.js';
import { ConfigError } from '../../../src/errors.js';

// A branch: PSTN PRI, the old PBX on a PRI tie trunk, Teams over SIP; building B has moved.
function config(): RoutingConfig {
  return {
    plan: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
    trunks: {
      pstn1: { role: 'pstn', numberFormat: 'national' },
      pstn2: { role: 'pstn', numberFormat: 'national' },
      pbx: { role: 'pbx', numberFormat: 'national' },
      teams: { role: 'uc', numberFormat: 'e164' },
      carrier: { role: 'peer', numberFormat: 'e164' },
    },
    sites: [
      { id: 'bldg-a', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }] },
      { id: 'bldg-b', ranges: [{ numbers: '+4930555200-+4930555299', owner: 'teams', fallback: ['pbx'] }] },
    ],
    routes: [
      { id: 'emergency', called: '/^(110|112)$/', targets: ['pstn1'] },
      { id: 'block-premium', called: '+49900*', targets: [], reject: 21 },
      { id: 'short-ext', fromTrunk: ['teams'], called: '/^\\d{3}$/', targets: ['pbx'], translateCalled: [{ prefix: '+4930555' }] },
    ],
  };
}

t.test('derived routing follows ownership (DESIGN §6)', async (t) => {
  const c = compileRouting(config());
  let d = decide(c, { fromTrunk: 'pstn1', called: '030555150', calling: '0301234' });
  t.same(d.targets.map((x) => [x.trunk, x.called, x.calling]), [['pbx', '030555150', '0301234']], 'PSTN → PBX owner, national format');
  d = decide(c, { fromTrunk: 'pstn1', called: '030555250', calling: '0301234' });
  t.same(d.targets.map((x) => [x.trunk, x.called, x.calling]), [['teams', '+4930555250', '+49301234'], ['pbx', '030555250', '0301234']], 'PSTN → UC owner, fallback PBX, E.164 for Teams');
  d = decide(c, { fromTrunk: 'pbx', called: '030555250', calling: '030555150' });
  t.same(d.targets.map((x) => x.trunk), ['teams'], 'PBX → UC-owned');
  d = decide(c, { fromTrunk: 'pbx', called: '0221123456', calling: '030555150' });
  t.same(d.targets.map((x) => x.trunk), ['pstn1', 'pstn2'], 'PBX → elsewhere goes to PSTN, both PRIs');
  d = decide(c, { fromTrunk: 'teams', called: '+4930555150', calling: '+4930555250' });
  t.same(d.targets.map((x) => x.trunk), ['pbx'], 'UC → PBX-owned');
  d = decide(c, { fromTrunk: 'teams', called: '+4940123', calling: '+4930555250' });
  t.same(d.targets.map((x) => [x.trunk, x.called]), [['pstn1', '040123'], ['pstn2', '040123']], 'UC → PSTN, national format');
  d = decide(c, { fromTrunk: 'carrier', called: '+4930555250', calling: '+1555' });
  t.same(d.targets.map((x) => x.trunk), ['teams', 'pbx'], 'peer → owner');
});

t.test('refusals and loops', async (t) => {
  const c = compileRouting(config());
  let d = decide(c, { fromTrunk: 'pstn1', called: '030999', calling: '1' });
  t.equal(d.cause, 1, 'PSTN to a number nobody owns: unallocated');
  t.same(d.targets, []);
  d = decide(c, { fromTrunk: 'pbx', called: '030555150', calling: '030555151' });
  t.equal(d.cause, 25, 'PBX to its own number');
  d = decide(c, { fromTrunk: 'teams', called: '+4930555201', calling: '+4930555250' });
  t.equal(d.cause, 25, 'UC to its own number');
  d = decide(c, { fromTrunk: 'nowhere', called: '1', calling: '2' });
  t.equal(d.cause, 21);
  d = decide(c, { fromTrunk: 'pbx', called: '0900123', calling: '030555150' });
  t.equal(d.cause, 21, 'explicit reject route');
  t.match(d.explanation.join('\n'), /route 'block-premium' rejects/);
  d = decide(c, { fromTrunk: 'pbx', called: '030555250', calling: '1', via: ['teams', 'pbx'] });
  t.equal(d.cause, 25, 'via list contains the inbound trunk');
});

t.test('explicit routes win, with translation and the inbound trunk dropped', async (t) => {
  const c = compileRouting(config());
  let d = decide(c, { fromTrunk: 'teams', called: '150', calling: '+4930555250' });
  t.same(d.targets.map((x) => [x.trunk, x.called]), [['pbx', '030555150']]);
  t.match(d.explanation.join('\n'), /called: prefix \+4930555: 150 → \+4930555150/);
  d = decide(c, { fromTrunk: 'pstn1', called: '112', calling: '030555150' });
  t.same(d.targets, [], 'emergency from pstn1 back to pstn1 is refused, not looped');
  t.equal(d.cause, 25);
  d = decide(c, { fromTrunk: 'pbx', called: '112', calling: '030555150' });
  t.same(d.targets.map((x) => [x.trunk, x.called]), [['pstn1', '112']]);
});

t.test('failover causes: default, global, per route', async (t) => {
  const cfg = config();
  let d = decide(compileRouting(cfg), { fromTrunk: 'pbx', called: '0221', calling: '1' });
  t.same(d.failoverCauses, [3, 27, 34, 38, 41, 42, 47, 102]);
  cfg.failoverCauses = [34];
  cfg.routes[0]!.failoverCauses = [41, 38];
  const c = compileRouting(cfg);
  d = decide(c, { fromTrunk: 'pbx', called: '0221', calling: '1' });
  t.same(d.failoverCauses, [34]);
  d = decide(c, { fromTrunk: 'pbx', called: '110', calling: '1' });
  t.same(d.failoverCauses, [41, 38]);
});

t.test('down trunks are tried last', async (t) => {
  const r = new NumberRouter(compileRouting(config()), { isUp: (x) => x !== 'teams' });
  const d = r.decide({ fromTrunk: 'pstn1', called: '030555250', calling: '1' });
  t.same(d.targets.map((x) => x.trunk), ['pbx', 'teams']);
  t.match(d.explanation.join('\n'), /down, tried last: teams/);
});

t.test('loop guard refuses a ping-pong: arrivals of one pair that are up at once', async (t) => {
  let now = 0;
  const guard = new LoopGuard({ windowMs: 5000, maxArrivals: 3, now: () => now });
  const r = new NumberRouter(compileRouting(config()), { loopGuard: guard });
  const req = { fromTrunk: 'pbx', called: '030555250', calling: '030555150' };
  const first = r.decide(req);
  t.equal(first.targets.length, 1);
  t.equal(r.decide({ ...req, fromTrunk: 'teams', called: '+4930555250', calling: '+4930555150' }).cause, 25, 'teams owns it; refused by routing, not the guard');
  t.equal(r.decide(req).targets.length, 1);
  t.equal(r.decide(req).targets.length, 1);
  const d = r.decide(req);
  t.equal(d.cause, 25);
  t.match(d.explanation.join('\n'), /loop guard: .*4 calls at once within 5 s \(via pbx, pbx, pbx, pbx\)/);
  first.release!();
  first.release!();
  t.equal(r.decide(req).targets.length, 1, 'one call ended: room for one more');
  t.equal(r.decide(req).cause, 25, 'a second release of the same call frees nothing');
  now = 6000;
  t.equal(r.decide(req).targets.length, 1, 'arrivals whose release never came are forgotten after the window');
  t.equal(guard.size, 1);
  t.same(Object.keys(guard.check('x', '', '1')), ['release'], 'anonymous calls are not tracked');
  t.equal(guard.size, 1);
});

t.test('loop guard: a caller redialling one number, attempt after attempt, is never refused', async (t) => {
  const guard = new LoopGuard({ maxArrivals: 3 });
  const r = new NumberRouter(compileRouting(config()), { loopGuard: guard });
  const req = { fromTrunk: 'pbx', called: '030555250', calling: '030555150' };
  for (let i = 0; i < 20; i++) {
    const d = r.decide(req);
    t.equal(d.targets.length, 1, `attempt ${i + 1}`);
    d.release!();
  }
  t.equal(guard.size, 0, 'nothing left once the calls ended');
  for (let i = 0; i < 5; i++) t.equal(r.decide({ ...req, fromTrunk: 'teams', called: '+4930555250', calling: '+4930555150' }).cause, 25);
  t.equal(guard.size, 0, 'calls routing refuses are not up: not remembered');
});

t.test('config validation names the key', async (t) => {
  const bad = (mut: (c: RoutingConfig) => void, path: RegExp): void => {
    const c = config(); mut(c);
    try { compileRouting(c); t.fail('should throw'); } catch (e) {
      t.ok(e instanceof ConfigError); t.match((e as ConfigError).path, path);
    }
  };
  bad((c) => { c.sites[0]!.ranges[0]!.owner = 'ghost'; }, /routing\.sites\[0\]\.ranges\[0\]\.owner/);
  bad((c) => { c.sites[1]!.ranges[0]!.numbers = '+4930555150-+4930555299'; }, /routing\.sites/);
  bad((c) => { c.sites[1]!.ranges.push({ numbers: '+493055519*', owner: 'teams' }); }, /routing\.sites/);
  bad((c) => { c.sites[1]!.ranges.push({ numbers: '+49305*', owner: 'teams' }); }, /routing\.sites/);
  bad((c) => { c.sites[1]!.ranges.push({ numbers: '/x/', owner: 'teams' }); }, /numbers/);
  bad((c) => { c.routes[0]!.targets = ['nope']; }, /routing\.routes\[0\]\.targets\[0\]/);
  bad((c) => { c.routes[0]!.called = '/(/'; }, /routing\.routes\[0\]\.called/);
  bad((c) => { c.routes.push({ id: 'emergency', targets: ['pbx'] }); }, /routing\.routes\[3\]\.id/);
  bad((c) => { c.routes.push({ id: 'x', targets: [] }); }, /routing\.routes\[3\]/);
  bad((c) => { c.failoverCauses = [200]; }, /failoverCauses/);
  bad((c) => { c.trunks.pbx!.role = 'x' as 'pbx'; }, /routing\.trunks\.pbx\.role/);
  bad((c) => { c.sites.push({ id: 'bldg-a', ranges: [] }); }, /routing\.sites\[2\]\.id/);
  const ok = config(); ok.sites[1]!.ranges.push({ numbers: '+4930556*', owner: 'teams' });
  t.doesNotThrow(() => compileRouting(ok), 'adjacent prefix does not overlap');
});

t.test('formatDecision for `spangate route test`', async (t) => {
  const c = compileRouting(config());
  const out = formatDecision(decide(c, { fromTrunk: 'pstn1', called: '030555250', calling: '0301234' }));
  t.match(out, /^ROUTE teams:\+4930555250 then pbx:030555250\n/);
  t.match(out, /owned by teams/);
  t.match(formatDecision(decide(c, { fromTrunk: 'pstn1', called: '030999', calling: '1' })), /^REFUSE cause 1 \(Unallocated/);
});
