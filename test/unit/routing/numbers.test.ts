import t from 'tap';
import { compilePattern, toE164, toNational, formatNumber, compileTranslation, translate, type NumberingPlan } from '../../../src/routing/numbers.js';
import { ConfigError } from '../../../src/errors.js';

const de: NumberingPlan = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' };
const us: NumberingPlan = { countryCode: '1', nationalPrefix: '1', internationalPrefix: '011' };

t.test('patterns', async (t) => {
  const any = compilePattern('*');
  t.ok(any.test('123'));
  const pre = compilePattern('+4930555*');
  t.equal(pre.kind, 'prefix');
  t.ok(pre.test('+49305551234')); t.notOk(pre.test('+4930556'));
  const rng = compilePattern('+4930555100-+4930555199');
  t.equal(rng.kind, 'range');
  t.ok(rng.test('+4930555100')); t.ok(rng.test('+4930555199')); t.ok(rng.test('+4930555150'));
  t.notOk(rng.test('+4930555200')); t.notOk(rng.test('+49305551000'), 'length must match');
  const re = compilePattern('/^\\+4930555(1|2)\\d\\d$/');
  t.equal(re.kind, 'regex');
  t.ok(re.test('+4930555250')); t.notOk(re.test('+4930555350'));
  const ex = compilePattern('911');
  t.equal(ex.kind, 'exact'); t.ok(ex.test('911')); t.notOk(ex.test('9110'));
  for (const bad of ['/[/', '100-1000', '200-100', 'abc', '12a*', '+1-2x']) {
    t.throws(() => compilePattern(bad, 'x.y'), ConfigError, bad);
  }
  try { compilePattern('abc', 'routing.routes[0].called'); } catch (e) { t.equal((e as ConfigError).path, 'routing.routes[0].called'); }
});

t.test('E.164 and national formats', async (t) => {
  t.equal(toE164('+4930123', de), '+4930123');
  t.equal(toE164('004420712345', de), '+4420712345');
  t.equal(toE164('030 1234-56', de), '+49301234 56'.replace(' ', ''));
  t.equal(toE164('1234', de), '1234', 'extension stays as is');
  t.equal(toE164('0', de), '0');
  t.equal(toE164('01144207', us), '+44207');
  t.equal(toE164('12125551234', us), '+12125551234');
  t.equal(toNational('+4930123', de), '030123');
  t.equal(toNational('+4420712345', de), '004420712345');
  t.equal(toNational('1234', de), '1234');
  t.equal(formatNumber('030123', 'e164', de), '+4930123');
  t.equal(formatNumber('+4930123', 'national', de), '030123');
  t.equal(formatNumber('0030123', 'as-is', de), '0030123');
});

t.test('translation steps', async (t) => {
  const steps = compileTranslation([{ strip: 1 }, { prefix: '+4930555' }], 'r');
  t.same(translate('91234', steps, de, 'called'), { value: '+49305551234', lines: ['called: strip 1: 91234 → 1234', 'called: prefix +4930555: 1234 → +49305551234'] });
  const rep = compileTranslation([{ replace: { match: '^\\+4930555(\\d{3})$', with: '$1' } }], 'r');
  t.equal(translate('+4930555123', rep, de, 'called').value, '123');
  t.same(translate('999', rep, de, 'called').lines, [], 'no line when nothing changed');
  const fmt = compileTranslation([{ format: 'national' }], 'r');
  t.equal(translate('+4930555123', fmt, de, 'x').value, '030555123');
  t.throws(() => compileTranslation([{ strip: 1, prefix: '0' }], 'r'), ConfigError);
  t.throws(() => compileTranslation([{}], 'r'), ConfigError);
  t.throws(() => compileTranslation([{ strip: -1 }], 'r'), ConfigError);
  t.throws(() => compileTranslation([{ prefix: 'x' }], 'r'), ConfigError);
  t.throws(() => compileTranslation([{ replace: { match: '(', with: '' } }], 'r'), ConfigError);
  t.throws(() => compileTranslation([{ format: 'weird' as 'e164' }], 'r'), ConfigError);
});

t.test('fuzz: patterns and translations either compile or throw ConfigError; matching never throws', async (t) => {
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const alphabet = '+0123456789*-/^$()[]\\d{}|.?';
  let other = 0;
  for (let i = 0; i < 5000; i++) {
    let s = '';
    for (let k = 0, n = rnd(14); k < n; k++) s += alphabet[rnd(alphabet.length)];
    try {
      const p = compilePattern(s);
      p.test('+4930555100'); p.test('');
      const st = compileTranslation([{ replace: { match: s, with: '$1' } }], 'x');
      translate('+4930555100', st, de, 'called');
    } catch (e) { if (!(e instanceof ConfigError)) other++; }
  }
  t.equal(other, 0);
});
