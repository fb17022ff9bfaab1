import t from 'tap';
import { lateAnswerFromAck, refusingAnswer } from '../../../src/sip/late-offer.js';
import { parseSdp } from '../../../src/sip/sdp.js';
import { resolveTrunk } from '../../../src/sip/trunk-profiles.js';
import { SignalingError } from '../../../src/errors.js';

const plain = resolveTrunk('x', {});
const OFFER = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\nm=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n';

t.test('the ACK answer: none → 127, broken → 88, good → the SDP', async (t) => {
  const none = lateAnswerFromAck(undefined, '', plain);
  t.ok(none instanceof SignalingError);
  t.equal((none as SignalingError).q850Cause, 127);
  t.match((none as Error).message, /no SDP answer/);
  const bad = lateAnswerFromAck('application/sdp', 'v=0\r\nnope\r\n', plain);
  t.equal((bad as SignalingError).q850Cause, 88);
  const noAudio = lateAnswerFromAck('application/sdp', OFFER.replace('m=audio 4000', 'm=audio 0'), plain);
  t.equal((noAudio as SignalingError).q850Cause, 88, 'an answer refusing the audio stream cannot carry the call');
  t.equal(lateAnswerFromAck('application/sdp', OFFER, plain), OFFER);
});

t.test('refusing answer: every stream port 0, one format, parseable', async (t) => {
  const s = parseSdp(refusingAnswer(OFFER));
  t.same(s.media.map((m) => [m.type, m.port, m.formats]), [['audio', 0, ['0']], ['video', 0, ['96']]]);
  t.equal(s.origin.username, 'spangate');
  const fallback = parseSdp(refusingAnswer('garbage'));
  t.same(fallback.media.map((m) => m.port), [0]);
});
