// The per-call relay rule: native when every trunk says native, else rtpengine while it is up,
// else native when it can serve every leg (codecs, SRTP suites, DTMF), else none.
import t from 'tap';
import { chooseRelay, nativeCanServe, type RelayLeg } from '../../../src/media/relay-choice.js';
import type { MediaRelay } from '../../../src/media/relay.js';

const relay = (name: string): MediaRelay => ({ name } as MediaRelay);
const rtpengine = relay('rtpengine');
const native = relay('native');
const leg = (trunk: string, prefers: 'native' | 'rtpengine', codecs?: string[]): RelayLeg => ({
  trunk, prefers, options: { transport: 'RTP/AVP', ...(codecs ? { codecs } : {}) },
});

t.test('every trunk native → native, whether rtpengine runs or not', async (t) => {
  const legs = [leg('pbx', 'native'), leg('uc', 'native')];
  t.equal(chooseRelay(legs, { rtpengine, native }).relay, native);
  t.equal(chooseRelay(legs, { native }).relay, native);
  t.equal(chooseRelay(legs, { rtpengine }).relay, rtpengine, 'native not running: rtpengine');
  t.equal(chooseRelay([], { rtpengine, native }).relay, rtpengine, 'no legs: not all native');
});

t.test('every trunk native but a leg the native relay cannot serve → rtpengine, else none', async (t) => {
  const legs = [leg('pbx', 'native', ['PCMU']), leg('carrier', 'native', ['G729'])];
  t.match(chooseRelay(legs, { rtpengine, native }),
    { relay: rtpengine, reason: /native relay cannot serve trunk carrier: no native codec in G729: rtpengine/ });
  t.match(chooseRelay(legs, { native }),
    { relay: undefined, reason: /rtpengine not up and the native relay cannot serve trunk carrier/ });
  const srtp: RelayLeg = { trunk: 'uc', prefers: 'native', options: { transport: 'RTP/SAVP', srtpSuites: ['AEAD_AES_256_GCM'] } };
  t.match(chooseRelay([leg('pbx', 'native'), srtp], { rtpengine, native }), { relay: rtpengine, reason: /trunk uc: no native SRTP suite/ });
  const dtmf: RelayLeg = { trunk: 'pbx', prefers: 'native', options: { transport: 'RTP/AVP', dtmf: 'inband' } };
  t.match(chooseRelay([dtmf, leg('uc', 'native')], { rtpengine, native }), { relay: rtpengine, reason: /trunk pbx: DTMF inband/ });
  t.equal(chooseRelay([leg('pbx', 'native', ['G722']), leg('uc', 'native', ['OPUS', 'G729'])], { rtpengine, native }).relay, native,
    'servable legs stay native');
});

t.test('a trunk on rtpengine → rtpengine while it is up', async (t) => {
  const legs = [leg('pbx', 'native'), leg('carrier', 'rtpengine')];
  t.match(chooseRelay(legs, { rtpengine, native }), { relay: rtpengine, reason: /uses rtpengine/ });
});

t.test('rtpengine not up: native when it can serve every leg', async (t) => {
  t.match(chooseRelay([leg('pbx', 'rtpengine', ['PCMU', 'telephone-event']), leg('uc', 'rtpengine', ['G722', 'PCMU'])], { native }),
    { relay: native, reason: /serves every leg/ });
  t.match(chooseRelay([leg('pbx', 'rtpengine', ['PCMU']), leg('carrier', 'rtpengine', ['G729'])], { native }),
    { relay: undefined, reason: /cannot serve trunk carrier: no native codec in G729/ });
  t.match(chooseRelay([leg('pbx', 'rtpengine')], {}), { relay: undefined, reason: 'no media relay running' });
});

t.test('nativeCanServe: codecs, SRTP suites, DTMF', async (t) => {
  t.equal(nativeCanServe({ transport: 'RTP/AVP' }), undefined, 'no list: pass-through');
  t.equal(nativeCanServe({ transport: 'RTP/AVP', codecs: ['G729', 'opus'] }), undefined, 'one native codec is enough');
  t.equal(nativeCanServe({ transport: 'RTP/SAVP', srtpSuites: ['AES_CM_128_HMAC_SHA1_80'] }), undefined);
  t.match(nativeCanServe({ transport: 'RTP/SAVP', srtpSuites: ['AEAD_AES_256_GCM'] }), /SRTP suite/);
  t.match(nativeCanServe({ transport: 'RTP/AVP', dtmf: 'inband' }), /DTMF inband/);
  t.equal(nativeCanServe({ transport: 'RTP/AVP', dtmf: 'info' }), undefined, 'INFO is interworked by the native relay too');
});
