import t from 'tap';
import { answerSessionExpires, parseSessionExpires } from '../../../../../src/sip/edge/ua/session-timer.js';
import { SipMsg } from '../../../../../src/sip/edge/ua/sip-msg.js';

t.test('Session-Expires parsing and the answer a UAS gives when the app gives none', async (t) => {
  t.same(parseSessionExpires('1800;refresher=UAS'), { seconds: 1800, refresher: 'uas' });
  t.same(parseSessionExpires('x-expires: 1800'.slice(11)), { seconds: 1800, refresher: undefined });
  t.equal(parseSessionExpires('soon'), undefined);
  const req = SipMsg.request('INVITE', 'sip:x');
  t.equal(answerSessionExpires(req), undefined);
  req.add('Session-Expires', '600');
  t.same(answerSessionExpires(req), { value: '600;refresher=uas', requireTimer: false }, 'UAC without timer support: we refresh');
  req.add('Supported', 'replaces, timer');
  t.same(answerSessionExpires(req), { value: '600;refresher=uac', requireTimer: true });
});
