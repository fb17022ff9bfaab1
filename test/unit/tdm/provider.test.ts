import t from 'tap';
import { partyFor } from '../../../src/tdm/provider.js';

const plan = { nationalPrefix: '0', internationalPrefix: '00' };

t.test('routed numbers map to the party IE: number and TON', async (t) => {
  t.same(partyFor('+4930555123', plan), { number: '+4930555123' }, 'E.164: PriLeg sends it international without the +');
  t.same(partyFor('0030555123', plan), { number: '30555123', ton: 'international' });
  t.same(partyFor('030555123', plan), { number: '30555123', ton: 'national' });
  t.same(partyFor('5123', plan), { number: '5123' }, 'an extension stays as dialled');
  t.same(partyFor('0', plan), { number: '0' }, 'a bare prefix is a number, not a prefix');
  t.same(partyFor('011441234', { nationalPrefix: '1', internationalPrefix: '011' }), { number: '441234', ton: 'international' }, 'NANP prefixes');
  t.same(partyFor('030', { nationalPrefix: '', internationalPrefix: '' }), { number: '030' }, 'a plan without prefixes');
});
