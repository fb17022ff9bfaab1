import t from 'tap';
import { AdmissionControl, type TrunkLimits } from '../../../src/call/admission.js';

t.test('concurrent call limit: 34 when full, slot back on release (once)', async (t) => {
  const limits: Record<string, TrunkLimits> = { pri: { maxCalls: 2, maxCps: 0 } };
  const ac = new AdmissionControl((tr) => limits[tr], () => 0);
  const a = ac.admit('pri');
  const b = ac.admit('pri');
  const c = ac.admit('pri');
  t.ok(a.ok && b.ok);
  t.same(c, { ok: false, cause: 34, reason: 'trunk pri at its limit of 2 calls' });
  if (a.ok) { a.release(); a.release(); }
  t.same(ac.usage('pri'), { active: 1, refused: 1 }, 'double release does not free two slots');
  t.ok(ac.admit('pri').ok);
  t.ok(ac.admit('unknown').ok, 'no limits configured: unlimited');
});

t.test('calls per second: token bucket with a one-second burst', async (t) => {
  let now = 0;
  const ac = new AdmissionControl(() => ({ maxCalls: 0, maxCps: 2 }), () => now);
  t.ok(ac.admit('sip').ok); t.ok(ac.admit('sip').ok);
  const x = ac.admit('sip');
  t.notOk(x.ok);
  if (!x.ok) { t.equal(x.cause, 34); t.match(x.reason, /above 2 calls\/s/); }
  now = 499; t.notOk(ac.admit('sip').ok, 'not quite one token back');
  now = 500; t.ok(ac.admit('sip').ok, 'one token per 500 ms');
  now = 10_000; t.ok(ac.admit('sip').ok); t.ok(ac.admit('sip').ok); t.notOk(ac.admit('sip').ok, 'burst capped at maxCps');
  t.equal(ac.usage('sip').refused, 3);
});
