import t from 'tap';
import { infoDtmfBody, infoDtmfMessage, isSameSession, parseInfoDtmf, parseReferTo, sipfrag, withDirection } from '../../../src/sip/in-dialog.js';
import { parseSdp } from '../../../src/sip/sdp.js';

t.test('INFO DTMF: dtmf-relay and dtmf bodies', async (t) => {
  t.same(parseInfoDtmf('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n'), { digit: '5', durationMs: 160 });
  t.same(parseInfoDtmf('Application/DTMF-Relay; charset=x', 'signal= #\nduration=250'), { digit: '#', durationMs: 250 });
  t.same(parseInfoDtmf('application/dtmf-relay', 'Signal=11'), { digit: '#', durationMs: 100 }, 'event number 11 is #');
  t.same(parseInfoDtmf('application/dtmf', '10'), { digit: '*', durationMs: 100 });
  t.same(parseInfoDtmf('application/dtmf', 'a'), { digit: 'A', durationMs: 100 });
  t.type(parseInfoDtmf('application/dtmf-relay', 'Signal=X'), Error);
  t.type(parseInfoDtmf('application/dtmf', ''), Error);
  t.equal(parseInfoDtmf('application/media_control+xml', '<x/>'), undefined);
  t.equal(parseInfoDtmf(undefined, 'Signal=1'), undefined);
  t.equal(infoDtmfBody('7', 120.4), 'Signal=7\r\nDuration=120\r\n');
  t.same(infoDtmfMessage('dtmf-relay', '*', 90), { contentType: 'application/dtmf-relay', body: 'Signal=*\r\nDuration=90\r\n' });
  t.same(infoDtmfMessage('dtmf', '#', 90), { contentType: 'application/dtmf', body: '#\r\n' });
  for (const m of [infoDtmfMessage('dtmf-relay', 'D', 60), infoDtmfMessage('dtmf', 'D', 60)]) {
    t.match(parseInfoDtmf(m.contentType, m.body), { digit: 'D' }, `${m.contentType} round trip`);
  }
});

t.test('Refer-To: the number, Replaces, garbage', async (t) => {
  t.same(parseReferTo('<sip:+4930555300@teams.example;user=phone>'), { user: '+4930555300', uri: 'sip:+4930555300@teams.example;user=phone' });
  t.same(parseReferTo('tel:+4930555300'), { user: '+4930555300', uri: 'tel:+4930555300' });
  const r = parseReferTo('<sip:300@pbx?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>');
  t.same(!(r instanceof Error) && r.replaces, { callId: 'abc', toTag: '1', fromTag: '2', earlyOnly: false, value: 'abc;to-tag=1;from-tag=2' }, 'attended transfer recognised');
  t.type(parseReferTo('<sip:300@pbx?Replaces=abc%3Bto-tag%3D1>'), Error, 'Replaces without a from-tag');
  t.type(parseReferTo(undefined), Error);
  t.type(parseReferTo('<http://example.com>'), Error);
  t.type(parseReferTo('<sip:alice@example.com>'), Error, 'not a number');
});

t.test('sipfrag, hold SDP and session refresh detection', async (t) => {
  t.equal(sipfrag(200, 'OK'), 'SIP/2.0 200 OK\r\n');
  const sdp = 'v=0\r\no=- 7 41 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendrecv\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n';
  const held = withDirection(sdp, 'sendonly');
  const p = parseSdp(held);
  t.equal(p.media[0]?.direction, 'sendonly');
  t.equal(p.direction, undefined, 'session-level direction removed');
  t.equal(p.origin.sessionVersion, '42', 'version bumped');
  t.ok(isSameSession(sdp, sdp.replace('4000', '4000')));
  t.notOk(isSameSession(sdp, held));
  t.notOk(isSameSession(undefined, sdp));
});
