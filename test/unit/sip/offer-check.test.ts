import t from 'tap';
import { checkOffer, checkSrtpAnswer } from '../../../src/sip/offer-check.js';
import { resolveTrunk } from '../../../src/sip/trunk-profiles.js';

const plain = resolveTrunk('x', {});
const sdp = (m: string, extra = ''): string => `v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n${m}\r\n${extra}`;

t.test('acceptable offers pass', async (t) => {
  t.equal(checkOffer('application/sdp', sdp('m=audio 4000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000\r\n'), plain), undefined);
  t.equal(checkOffer(undefined, sdp('m=audio 4000 RTP/AVP 9'), plain), undefined);
  t.equal(checkOffer('application/sdp', '', plain), undefined, 'no body: a late offer, bridged by the call');
  t.equal(checkOffer(undefined, undefined, plain), undefined);
});

t.test('refusals carry a Warning code and text', async (t) => {
  t.match(checkOffer('multipart/mixed', sdp('m=audio 4000 RTP/AVP 0'), plain), { warningCode: 399 });
  t.match(checkOffer('application/sdp', 'v=0\r\nbogus\r\n', plain), { warningCode: 399, text: /SDP/ });
  t.match(checkOffer('application/sdp', sdp('m=video 4000 RTP/AVP 31'), plain), { warningCode: 304 });
  t.match(checkOffer('application/sdp', sdp('m=audio 4000 udptl t38'), plain), { warningCode: 302 });
  t.match(checkOffer('application/sdp', sdp('m=audio 4000 RTP/AVP 101', 'a=rtpmap:101 telephone-event/8000\r\n'), plain), { warningCode: 305 });
  const teams = resolveTrunk('teams', { profile: 'teams' });
  t.match(checkOffer('application/sdp', sdp('m=audio 4000 RTP/AVP 0'), teams), { warningCode: 302, text: /requires SRTP/ });
  t.match(checkOffer('application/sdp', sdp('m=audio 4000 RTP/SAVP 0', 'a=crypto:1 F8_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n'), teams), { warningCode: 302, text: /crypto suite/ });
  t.equal(checkOffer('application/sdp', sdp('m=audio 4000 RTP/SAVP 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n'), teams), undefined);
});

t.test('answers from a trunk that requires SRTP must keep media encrypted', async (t) => {
  const teams = resolveTrunk('teams', { profile: 'teams' });
  const key = 'inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
  t.match(checkSrtpAnswer(sdp('m=audio 4000 RTP/AVP 0'), teams), { warningCode: 302, text: /requires SRTP.*RTP\/AVP/ });
  t.match(checkSrtpAnswer(sdp('m=audio 4000 RTP/SAVP 0'), teams), { warningCode: 302, text: /no allowed crypto suite/ });
  t.match(checkSrtpAnswer(sdp('m=audio 4000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_32 ${key}\r\n`), teams), { warningCode: 302 });
  t.equal(checkSrtpAnswer(sdp('m=audio 4000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${key}\r\n`), teams), undefined);
  t.equal(checkSrtpAnswer(sdp('m=audio 0 RTP/AVP 0'), teams), undefined, 'a refused stream carries nothing');
  t.equal(checkSrtpAnswer(undefined, teams), undefined, 'no SDP: nothing to check (the answer is the earlier one)');
  t.match(checkSrtpAnswer('v=0\r\nbogus\r\n', teams), { warningCode: 399 });
  t.equal(checkSrtpAnswer(sdp('m=audio 4000 RTP/AVP 0'), resolveTrunk('lync', { profile: 'lync' })), undefined, 'optional: plain answers are fine');
  t.equal(checkSrtpAnswer(sdp('m=audio 4000 RTP/AVP 0'), plain), undefined);
});
