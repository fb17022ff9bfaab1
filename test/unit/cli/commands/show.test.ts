// Formatting of `spangate show calls|trunks` (the admin answers come from the calls subsystem).
import t from 'tap';
import { formatCalls, formatTrunks, table } from '../../../../src/cli/commands/show.js';
import { HEALTH_NOT_YET, type TrunkView } from '../../../../src/calls-subsystem/subsystem.js';
import { cli } from '../../../fixtures/cli.js';

t.test('show calls', async (t) => {
  t.equal(formatCalls([]), 'no calls in progress');
  const text = formatCalls([{ id: 'c1', state: 'answered', ageMs: 61_400, aTrunk: 'carrier', calling: '+4989123', called: '+4930555123', bTrunk: 'pbx', relay: 'native' }]);
  t.match(text, /^ID +STATE +AGE +FROM +TO +CALLING +CALLED +MEDIA\nc1 +answered +61s +carrier +pbx +\+4989123 +\+4930555123 +native\n1 call in progress$/);
});

t.test('show trunks says what is not known yet', async (t) => {
  t.match(formatTrunks([]), /no trunks configured/);
  const v: TrunkView = {
    id: 'carrier', kind: 'sip', role: 'pstn', profile: 'generic', transport: 'udp', addresses: ['192.0.2.1'], port: 5060,
    maxCalls: 30, maxCps: 0, active: 1, attempts: 4, answered: 3, failed: 1, asr: 75, health: HEALTH_NOT_YET,
  };
  const text = formatTrunks([v, { ...v, id: 'pri1', kind: 'other', transport: null, addresses: [], profile: null, maxCalls: null, maxCps: null, attempts: 0, health: { state: 'unknown', detail: 'not a SIP trunk' } }]);
  t.match(text, /carrier +sip\/udp +pstn +generic +192\.0\.2\.1 +30\/∞ +1 +4 +75\.0% +unknown/);
  t.match(text, /pri1 +other +pstn +- +- +- +1 +0 +- +unknown/);
  t.match(text, /carrier: health unknown, no OPTIONS keepalive yet \(arrives with the SIP legs\)/);
  t.match(text, /other trunks: health unknown, not a SIP trunk/);
  const up = formatTrunks([{ ...v, health: { state: 'up', rttMs: 3.4, detail: '1/1 targets up' } }, { ...v, id: 'b', health: { state: 'down', detail: '0/1 targets up; 192.0.2.2:5060/udp down: no answer' } }]);
  t.match(up, /carrier .* up 3ms/);
  t.match(up, /b .* down\n/);
  t.match(up, /b: health down, 0\/1 targets up; 192\.0\.2\.2:5060\/udp down: no answer/);
  t.notMatch(up, /carrier: health/, 'nothing to explain for a trunk that is up');
  t.equal(table(['A', 'BB'], [['xyz', '1']]), 'A    BB\nxyz  1');
});

t.test('show needs a daemon', async (t) => {
  for (const what of ['calls', 'trunks']) {
    const r = await cli(['show', what, '--socket', '/nonexistent/admin.sock']);
    t.equal(r.code, 3);
    t.match(r.stderr, /daemon is not running/);
  }
  const help = await cli(['show', '--help']);
  t.match(help.stdout, /calls[\s\S]*trunks/);
});
