// The tdm config section: span checks, defaults, the list rules, loading through the schema.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../../src/config/index.js';
import { checkSpan, normalizeSpans } from '../../../src/config/schema/tdm.js';
import { ConfigError } from '../../../src/errors.js';

const good = {
  id: 'pstn1', type: 'e1', side: 'user', switchtype: 'euroisdn', localAddress: '127.0.10.30', localPort: 62080,
  remoteAddress: '127.0.10.31', remotePort: 62080, trunk: 'pstn',
};

t.test('a span gets its defaults', async (t) => {
  t.same(checkSpan(good, 0), {
    ...good, country: 'us', echoTailMs: 128, overlap: false, digitTimeoutMs: 5000, framesPerPacket: 8, jitterPackets: 4, losMs: 500, clearMs: 200, alarmClearMs: 2500, t309Ms: 6000, rejectToneMs: 5000,
  });
  t.match(checkSpan({ ...good, remoteAddress: '', remotePort: 0 }, 0), { remotePort: 0 }, 'a learnt peer');
});

t.test('bad spans name the span and the field', async (t) => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ type: 'j1' }, /span pstn1: type must be e1 or t1/],
    [{ side: 'both' }, /side must be network or user/],
    [{ switchtype: 'ess6' }, /switchtype must be one of/],
    [{ localAddress: 'localhost' }, /localAddress must be an IP address/],
    [{ remoteAddress: 'x' }, /remoteAddress must be an IP address/],
    [{ localPort: 70000 }, /localPort must be an integer 0-65535/],
    [{ remoteAddress: '' }, /remotePort needs a remoteAddress/],
    [{ echoTailMs: 512 }, /echoTailMs must be an integer 0-256/],
    [{ country: 'DEU' }, /country must be a two-letter/],
    [{ overlap: 'yes' }, /overlap must be true or false/],
    [{ trunk: '' }, /trunk must name a routing trunk/],
    [{ id: 'Bad Id' }, /span 0: id must be/],
    [{ colour: 'red' }, /unknown field colour/],
  ];
  for (const [over, re] of bad) t.throws(() => checkSpan({ ...good, ...over }, 0), re, JSON.stringify(over));
  t.throws(() => checkSpan('x', 3), /span 3 must be an object/);
});

t.test('the list: unique ids and bound addresses', async (t) => {
  t.throws(() => normalizeSpans([good, good]), /span id pstn1 is used twice/);
  t.throws(() => normalizeSpans([good, { ...good, id: 'b' }]), /127\.0\.10\.30:62080 is bound by another span/);
  t.equal(normalizeSpans([good, { ...good, id: 'b', localPort: 0 }, { ...good, id: 'c', localPort: 0 }]).length, 3, 'ephemeral ports may repeat');
  t.throws(() => normalizeSpans({}), /must be a list/);
});

t.test('loading: from a file and from SPANGATE_TDM_SPANS; errors carry the key path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tdm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ tdm: { spans: [good] } }));
  t.match(loadConfig(file, { env: {} }).tdm.spans, [{ id: 'pstn1' }]);
  t.match(loadConfig(undefined, { env: { SPANGATE_TDM_SPANS: JSON.stringify([{ ...good, id: 'env1' }]) } }).tdm.spans, [{ id: 'env1' }]);
  writeFileSync(file, JSON.stringify({ tdm: { spans: [{ ...good, type: 'x' }] } }));
  t.throws(() => loadConfig(file, { env: {} }), ConfigError);
  try {
    loadConfig(file, { env: {} });
  } catch (e) {
    t.match((e as ConfigError).message, /tdm\.spans/);
  }
});
