import t from 'tap';
import {
  Cause, q850ToSip, sipToQ850, parseReasonQ850, formatReasonQ850, causeFromSipFailure, causeText,
} from '../../../src/call/causes.js';

t.test('Q.850 → SIP follows RFC 3398 §8.2.6.1', async (t) => {
  const table: [number, number][] = [
    [1, 404], [2, 404], [3, 404], [17, 486], [18, 408], [19, 480], [20, 480], [21, 403], [22, 410],
    [23, 410], [26, 404], [27, 502], [28, 484], [29, 501], [31, 480], [34, 503], [38, 503], [41, 503],
    [42, 503], [47, 503], [55, 403], [57, 403], [58, 503], [65, 488], [70, 488], [79, 501], [87, 403],
    [88, 503], [102, 504], [111, 500], [127, 500],
  ];
  for (const [q, s] of table) t.equal(q850ToSip(q), s, `cause ${q} → ${s}`);
  t.equal(q850ToSip(16), 480, 'normal clearing used as a rejection');
  t.equal(q850ToSip(5), 480, 'unknown normal-class cause');
  t.equal(q850ToSip(44), 503, 'channel not available');
  t.equal(q850ToSip(50), 503, 'service class');
  t.equal(q850ToSip(66), 501, 'not-implemented class');
  t.equal(q850ToSip(100), 500, 'invalid message class');
});

t.test('SIP → Q.850 follows RFC 3398 §7.2.4.1', async (t) => {
  const table: [number, number][] = [
    [400, 41], [401, 21], [402, 21], [403, 21], [404, 1], [405, 63], [406, 79], [407, 21], [408, 102],
    [410, 22], [413, 127], [414, 127], [415, 79], [416, 127], [420, 127], [421, 127], [423, 127],
    [480, 18], [481, 41], [482, 25], [483, 25], [484, 28], [485, 1], [486, 17], [500, 41], [501, 79],
    [502, 38], [503, 41], [504, 102], [505, 127], [513, 127], [600, 17], [603, 21], [604, 1],
  ];
  for (const [s, q] of table) t.equal(sipToQ850(s), q, `${s} → cause ${q}`);
  t.equal(sipToQ850(487), 16);
  t.equal(sipToQ850(488), 65);
  t.equal(sipToQ850(606), 65);
  t.equal(sipToQ850(302), 23, '3xx not followed');
  t.equal(sipToQ850(499), 127);
  t.equal(sipToQ850(580), 41);
  t.equal(sipToQ850(699), 21);
});

t.test('round trips that matter to a gateway keep their meaning', async (t) => {
  for (const s of [404, 486, 484, 503, 504]) t.equal(q850ToSip(sipToQ850(s)), s, `${s}`);
  t.equal(q850ToSip(sipToQ850(488)), 488);
});

t.test('Reason header Q.850 parsing (RFC 3326)', async (t) => {
  t.same(parseReasonQ850('Q.850;cause=17;text="User busy"'), { cause: 17, text: 'User busy' });
  t.same(parseReasonQ850('q.850 ; cause = 34'), { cause: 34 });
  t.same(parseReasonQ850('SIP;cause=200;text="Call completed elsewhere", Q.850;cause=26'), { cause: 26 });
  t.same(parseReasonQ850(['SIP;cause=487', 'Q.850;cause=16;text="a, b; c"']), { cause: 16, text: 'a, b; c' });
  t.equal(parseReasonQ850('SIP;cause=487'), undefined);
  t.equal(parseReasonQ850('Q.850;cause=999'), undefined, 'out of range');
  t.equal(parseReasonQ850('Q.850;cause=abc'), undefined);
  t.equal(parseReasonQ850('garbage;;;==,,'), undefined);
  t.equal(parseReasonQ850(undefined), undefined);
  t.equal(formatReasonQ850(17), 'Q.850;cause=17;text="User busy"');
  t.same(parseReasonQ850(formatReasonQ850(Cause.NO_CIRCUIT_AVAILABLE)), { cause: 34, text: 'No circuit/channel available' });
});

t.test('causeFromSipFailure prefers the Reason header', async (t) => {
  t.equal(causeFromSipFailure(503, 'Q.850;cause=34'), 34);
  t.equal(causeFromSipFailure(503), 41);
  t.equal(causeFromSipFailure(486, 'SIP;cause=486'), 17);
  t.equal(causeText(17), 'User busy');
  t.equal(causeText(123), 'Cause 123');
});

t.test('fuzz: parseReasonQ850 never throws and only returns causes 0-127', async (t) => {
  let seed = 99;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const alphabet = 'Q.850;cause=text"\\,SIP 0123456789\u0000é';
  let bad = 0;
  for (let i = 0; i < 5000; i++) {
    let s = 'Q.850;cause=17;text="x"';
    for (let k = 0, n = 1 + rnd(8); k < n; k++) {
      const pos = rnd(s.length + 1);
      s = s.slice(0, pos) + alphabet[rnd(alphabet.length)]! + s.slice(pos + rnd(2));
    }
    try {
      const r = parseReasonQ850(s);
      if (r && !(r.cause >= 0 && r.cause <= 127)) bad++;
    } catch { bad++; }
  }
  t.equal(bad, 0);
});
