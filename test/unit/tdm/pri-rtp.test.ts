import t from 'tap';
import { MediaError } from '../../../src/errors.js';
import type { RtpEndpointConfig, RtpStats } from '../../../src/ffi/engine.js';
import { PriRtp, type PriRtpApi } from '../../../src/tdm/pri-rtp.js';
import { audioMedia, parseSdp } from '../../../src/sip/sdp.js';

function fakeApi(): { api: PriRtpApi; calls: string[]; cfgs: RtpEndpointConfig[] } {
  const calls: string[] = [];
  const cfgs: RtpEndpointConfig[] = [];
  const api: PriRtpApi = {
    createEndpoint: (c) => { calls.push('create'); cfgs.push(c); return 7; },
    updateEndpoint: (h, c) => { calls.push(`update ${h}`); cfgs.push(c); },
    destroyEndpoint: (h) => { calls.push(`destroy ${h}`); },
    localPort: () => 40002,
    endpointStats: () => ({ rxPackets: 1 }) as RtpStats,
  };
  return { api, calls, cfgs };
}

const answer = (codecs: string, extra = ''): string =>
  `v=0\r\no=x 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 30000 RTP/AVP ${codecs}\r\n${extra}`;

t.test('offer: both G.711 laws, the span\'s first, telephone-event, on the configured address', async (t) => {
  const { api, cfgs } = fakeApi();
  const r = new PriRtp(api, { address: '192.0.2.10', law: 'alaw' });
  t.match(cfgs[0], { localAddr: '192.0.2.10', codec: 'PCMA', payloadType: 8, dtmfPt: 101, jitterBuffer: true, symmetric: true });
  const s = parseSdp(r.offer());
  const m = audioMedia(s)!;
  t.equal(m.port, 40002);
  t.same(m.codecs.map((c) => c.name), ['PCMA', 'PCMU', 'telephone-event']);
  t.equal(s.connection?.address, '192.0.2.10');
  const u = new PriRtp(api, { address: '192.0.2.10', law: 'ulaw' });
  t.same(audioMedia(parseSdp(u.offer()))!.codecs.map((c) => c.name), ['PCMU', 'PCMA', 'telephone-event'], 'T1: µ-law first');
});

t.test('applyAnswer: remote, first G.711 of the answer, telephone-event when answered', async (t) => {
  const { api, cfgs } = fakeApi();
  const r = new PriRtp(api, { address: '192.0.2.10', law: 'alaw' });
  const rem = r.applyAnswer(answer('0 101', 'a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n'));
  t.match(rem, { addr: '10.0.0.9', port: 30000, codec: 'PCMU', pt: 0, dtmfPt: 101 });
  t.match(cfgs.at(-1), { remoteAddr: '10.0.0.9', remotePort: 30000, codec: 'PCMU', payloadType: 0, dtmfPt: 101 });
  r.applyAnswer(answer('8', 'a=rtpmap:8 PCMA/8000\r\n'));
  t.match(cfgs.at(-1), { codec: 'PCMA', dtmfPt: 0 }, 'no telephone-event: digits stay in-band');
  t.throws(() => r.applyAnswer(answer('9', 'a=rtpmap:9 G722/8000\r\n')), { name: 'SignalingError', q850Cause: 88 }, 'no G.711: refused (88)');
  t.throws(() => r.applyAnswer(answer('0').replace('m=audio 30000', 'm=audio 0')), { name: 'SignalingError', q850Cause: 88 }, 'a rejected stream');
  t.throws(() => r.applyAnswer(answer('0').replace('RTP/AVP', 'RTP/SAVP')), { name: 'SignalingError', q850Cause: 88 }, 'SRTP toward the B-channel');
});

t.test('answerOffer: the span law when offered, else the other; direction mirrored', async (t) => {
  const { api, cfgs } = fakeApi();
  const r = new PriRtp(api, { address: '192.0.2.10', law: 'alaw' });
  const a1 = audioMedia(parseSdp(r.answerOffer(answer('0 8 101', 'a=rtpmap:101 telephone-event/8000\r\n'))))!;
  t.same(a1.codecs.map((c) => `${c.pt} ${c.name}`), ['8 PCMA', '101 telephone-event'], 'A-law span takes PCMA from a PCMU-first offer');
  t.match(cfgs.at(-1), { codec: 'PCMA', payloadType: 8, dtmfPt: 101, remotePort: 30000 });
  const a2 = parseSdp(r.answerOffer(answer('0', 'a=sendonly\r\n')));
  t.same(audioMedia(a2)!.codecs.map((c) => c.name), ['PCMU']);
  t.equal(audioMedia(a2)!.direction ?? a2.direction, 'recvonly', 'hold: sendonly answered recvonly');
  t.throws(() => r.answerOffer(answer('18', 'a=rtpmap:18 G729/8000\r\n')), { name: 'SignalingError', q850Cause: 88 });
});

t.test('close destroys the endpoint once; a closed endpoint refuses SDP', async (t) => {
  const { api, calls } = fakeApi();
  const r = new PriRtp(api, { address: '192.0.2.10', law: 'alaw' });
  r.close();
  r.close();
  t.same(calls, ['create', 'destroy 7']);
  t.equal(r.stats(), undefined);
  t.throws(() => r.applyAnswer(answer('0')), MediaError);
});
