// The config sections this branch adds (src/config/schema/{media,sip,routing,cdr}.ts): every key
// has doc/format/default/env/reloadable, every default passes its format when the format is one
// of ours, env names are unique, and the cross-key rules report key paths.
// (Lives here because src/config/'s tests belong to the config owner.)
import t from 'tap';
import { mediaSchema, mediaFormats, mediaRules } from '../../../src/config/schema/media.js';
import { sipSchema, sipFormats } from '../../../src/config/schema/sip.js';
import { routingSchema, routingFormats, routingRules } from '../../../src/config/schema/routing.js';
import { cdrSchema, cdrFile } from '../../../src/config/schema/cdr.js';
import { FORMATS } from '../../../src/config/formats.js';

// The sections' own formats, and (now that they are composed) every registered format.
const formats: Record<string, { check(v: unknown): void }> = { ...FORMATS, ...mediaFormats, ...sipFormats, ...routingFormats };
const FOUNDATION = new Set(Object.keys(FORMATS));

function walk(node: Record<string, unknown>, path: string, out: [string, Record<string, unknown>][]): void {
  for (const [k, v] of Object.entries(node)) {
    const p = `${path}.${k}`;
    if (v && typeof v === 'object' && 'default' in v) out.push([p, v as Record<string, unknown>]);
    else walk(v as Record<string, unknown>, p, out);
  }
}

t.test('every key is complete and its default valid', async (t) => {
  const keys: [string, Record<string, unknown>][] = [];
  walk(mediaSchema, 'media', keys); walk(sipSchema, 'sip', keys); walk(routingSchema, 'routing', keys); walk(cdrSchema, 'cdr', keys);
  t.ok(keys.length >= 25, `${keys.length} keys`);
  const envs = new Set<string>();
  for (const [p, k] of keys) {
    t.type(k['doc'], 'string', `${p}.doc`);
    t.type(k['reloadable'], 'boolean', `${p}.reloadable`);
    t.match(k['env'], /^SPANGATE_[A-Z0-9_]+$/, `${p}.env`);
    t.notOk(envs.has(k['env'] as string), `${p}: env unique`);
    envs.add(k['env'] as string);
    const f = k['format'];
    if (Array.isArray(f)) t.ok(f.includes(k['default']), `${p}: default in the allowed list`);
    else if (formats[f as string]) t.doesNotThrow(() => formats[f as string]!.check(k['default']), `${p}: default passes ${f}`);
    else t.ok(FOUNDATION.has(f as string), `${p}: format ${f} is the config owner's`);
  }
});

t.test('format checks refuse bad values', async (t) => {
  t.throws(() => formats['udp-port']!.check(0));
  t.throws(() => formats['optional-ip-address']!.check('host'));
  t.throws(() => formats['sip-trunks']!.check({ teams: { profile: 'teams', transport: 'udp' } }), /mutual TLS|SRTP/);
  t.throws(() => formats['q850-causes']!.check([0]));
  t.throws(() => formats['routing-trunks']!.check({ x: { role: 'boss' } }));
  t.same((sipFormats['sip-trunks'].coerce)('{"a":{}}'), { a: {} });
  t.same(routingFormats['q850-causes'].coerce('34, 41'), [34, 41]);
});

t.test('cross-key rules name the key', async (t) => {
  const N = { portMin: 40000, portMax: 49999 };
  t.same(mediaRules({ rtpengine: { portMin: 40000, portMax: 30000, mode: 'managed', ngHost: '127.0.0.1' }, native: N })[0]![0], 'media.rtpengine.portMin');
  t.same(mediaRules({ rtpengine: { portMin: 30000, portMax: 30010, mode: 'managed', ngHost: '10.0.0.1' }, native: N })[0]![0], 'media.rtpengine.ngHost');
  t.same(mediaRules({ rtpengine: { portMin: 30000, portMax: 39999, mode: 'external', ngHost: '10.0.0.1' }, native: N }), []);
  t.same(mediaRules({ rtpengine: { portMin: 30000, portMax: 39999, mode: 'external', ngHost: '10.0.0.1' }, native: { ...N, receiveIntervalUs: 20_001 } }),
    [['media.native.receiveIntervalUs', 'must be 20000 (20 ms, one packet time) or less']], 'the engine refuses longer steering intervals: said at load time');
  t.same(mediaRules({ rtpengine: { portMin: 30000, portMax: 39999, mode: 'external', ngHost: '10.0.0.1' }, native: { portMin: 40000, portMax: 40002 } }), [['media.native.portMax', 'must be at least media.native.portMin + 3 (one call: 4 ports)']]);
  const r = {
    plan: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
    trunks: { pri: { role: 'pstn' as const } },
    sites: [{ id: 'hq', ranges: [{ numbers: '+4930*', owner: 'pbx' }] }],
    routes: [], failoverCauses: [34],
  };
  t.same(routingRules(r), [['routing.sites[0].ranges[0].owner', 'unknown trunk "pbx"']]);
  r.trunks = { ...r.trunks, pbx: { role: 'pbx' as const } } as typeof r.trunks;
  t.same(routingRules(r), []);
});

t.test('cdr.path empty means cdr.sqlite in the state directory', async (t) => {
  t.equal(cdrFile({ cdr: { path: '' }, daemon: { stateDir: '/var/lib/spangate/' } }), '/var/lib/spangate/cdr.sqlite');
  t.equal(cdrFile({ cdr: { path: '/srv/cdr.db' }, daemon: { stateDir: '/var/lib/spangate' } }), '/srv/cdr.db');
});
