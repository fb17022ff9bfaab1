import t from 'tap';
import { telephoneEventPt, withoutTelephoneEvent, withTelephoneEvent } from '../../../src/media/dtmf-sdp.js';

const sdp = (m: string, extra = ''): string =>
  `v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n${m}\r\na=rtpmap:0 PCMU/8000\r\n${extra}a=sendrecv\r\n`;

t.test('telephone-event added for rtpengine, under the offered or a free payload type', async (t) => {
  const plain = sdp('m=audio 4000 RTP/AVP 0');
  const added = withTelephoneEvent(plain);
  t.match(added, /m=audio 4000 RTP\/AVP 0 101\r\n/);
  t.match(added, /a=rtpmap:101 telephone-event\/8000\r\na=fmtp:101 0-16\r\n/);
  t.equal(telephoneEventPt(added), 101);
  t.equal(telephoneEventPt(withTelephoneEvent(plain, 96)), 96, 'an answer keeps the offer\'s payload type');
  const busy = sdp('m=audio 4000 RTP/AVP 0 101', 'a=rtpmap:101 G722/8000\r\n');
  t.equal(telephoneEventPt(withTelephoneEvent(busy)), 96, 'a taken 101 moves to the first free one');
  const has = sdp('m=audio 4000 RTP/AVP 0 100', 'a=rtpmap:100 telephone-event/8000\r\n');
  t.equal(withTelephoneEvent(has), has, 'unchanged when it has telephone-event');
  t.equal(telephoneEventPt(plain), undefined);
});

t.test('telephone-event removed for the INFO leg', async (t) => {
  const has = sdp('m=audio 4000 RTP/AVP 0 100', 'a=rtpmap:100 telephone-event/8000\r\na=fmtp:100 0-16\r\n');
  const out = withoutTelephoneEvent(has);
  t.match(out, /m=audio 4000 RTP\/AVP 0\r\n/);
  t.notMatch(out, /telephone-event|fmtp:100/);
  const plain = sdp('m=audio 4000 RTP/AVP 0');
  t.equal(withoutTelephoneEvent(plain), plain, 'unchanged without telephone-event');
  const only = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n';
  t.equal(withoutTelephoneEvent(only), only, 'a section of only telephone-event is left alone');
});
