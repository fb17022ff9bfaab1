// Replaces (RFC 3891) as attended transfer carries it in Refer-To (RFC 5589 §7): escaped in
// the URI's headers part, parsed into Call-ID, to-tag, from-tag and early-only.
import t from 'tap';
import { parseReplaces, replacesInUri } from '../../../src/sip/replaces.js';

t.test('parseReplaces: Call-ID with @, tags in any order, early-only, case-insensitive names', async (t) => {
  t.same(parseReplaces('98asjd8@test.com;to-tag=12345;from-tag=54321'),
    { callId: '98asjd8@test.com', toTag: '12345', fromTag: '54321', earlyOnly: false, value: '98asjd8@test.com;to-tag=12345;from-tag=54321' });
  t.same(parseReplaces(' abc ; From-Tag=2 ; TO-TAG=1 ;early-only'),
    { callId: 'abc', toTag: '1', fromTag: '2', earlyOnly: true, value: 'abc ; From-Tag=2 ; TO-TAG=1 ;early-only' });
  t.match(parseReplaces('abc;from-tag=2'), Error, 'to-tag is required');
  t.match(parseReplaces('abc;to-tag=1'), Error, 'from-tag is required');
  t.match(parseReplaces('abc;to-tag=1;to-tag=2;from-tag=3'), Error, 'exactly one to-tag');
  t.match(parseReplaces(';to-tag=1;from-tag=2'), Error, 'a Call-ID is required');
  t.match(parseReplaces('a b;to-tag=1;from-tag=2'), Error, 'no spaces inside the Call-ID');
});

t.test('replacesInUri: %-escapes undone, other URI headers ignored, none → undefined', async (t) => {
  const r = replacesInUri('sip:300@pbx.example?Require=replaces&Replaces=abc%40host%3Bto-tag%3D7%3Bfrom-tag%3D8');
  t.same(r, { callId: 'abc@host', toTag: '7', fromTag: '8', earlyOnly: false, value: 'abc@host;to-tag=7;from-tag=8' });
  t.same(replacesInUri('sip:300@pbx?replaces=x%3bto-tag%3d1%3bfrom-tag%3d2'), { callId: 'x', toTag: '1', fromTag: '2', earlyOnly: false, value: 'x;to-tag=1;from-tag=2' }, 'lower-case escapes and header name');
  t.equal(replacesInUri('sip:300@pbx'), undefined);
  t.equal(replacesInUri('sip:300@pbx?Subject=hi'), undefined);
  t.match(replacesInUri('sip:300@pbx?Replaces=abc%E0%A4%A'), Error, 'bad escape');
  t.match(replacesInUri('sip:300@pbx?Replaces=abc%3Bto-tag%3D1'), Error, 'missing from-tag');
});
