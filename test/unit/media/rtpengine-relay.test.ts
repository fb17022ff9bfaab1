import t from 'tap';
import { carriesEvents, eventDigit, injectsDtmf, interworkedEventSource, offerFlags, RtpengineRelay, statsFromQuery, SDES_SUITES } from '../../../src/media/rtpengine-relay.js';
import type { NgClient } from '../../../src/media/rtpengine-ng.js';
import type { NgMessage } from 'rtpengine-client';
import { rtpengineArgs, parseRtpengineLog } from '../../../src/media/rtpengine-supervisor.js';
import { MediaError } from '../../../src/errors.js';

t.test('offer flags per leg options', async (t) => {
  t.same(offerFlags({ transport: 'RTP/AVP' }, { transport: 'RTP/AVP' }), {
    replace: ['origin', 'session-connection'], 'transport-protocol': 'RTP/AVP', ICE: 'remove',
  });
  const f = offerFlags({ transport: 'RTP/AVP', symmetric: false }, { transport: 'RTP/SAVP', codecs: ['G722', 'PCMU'], stripIce: false });
  t.equal(f['transport-protocol'], 'RTP/SAVP');
  t.equal(f['ICE'], undefined);
  t.equal(f['DTLS'], 'off');
  t.same(f['SDES'], SDES_SUITES.filter((s) => s !== 'AES_CM_128_HMAC_SHA1_80').map((s) => `no-${s}`));
  t.same(f['codec'], { mask: ['all'], transcode: ['G722', 'PCMU', 'telephone-event'] });
  t.same(f['flags'], ['asymmetric']);
  t.same(offerFlags({ transport: 'RTP/AVP' }, { transport: 'RTP/AVP', codecs: ['PCMA', 'telephone-event'], dtmf: 'inband' })['codec'], { mask: ['all'], transcode: ['PCMA'] });
  t.throws(() => offerFlags({ transport: 'RTP/AVP' }, { transport: 'RTP/SAVP', srtpSuites: ['ROT13'] }), MediaError);
});

t.test('stats from an NG query answer (rtpengine 10.5 shape)', async (t) => {
  const stream = (rtp: boolean, packets: number, bytes: number): object => ({ flags: [rtp ? 'RTP' : 'RTCP', 'filled'], stats: { packets, bytes, errors: 0 } });
  const q = {
    result: 'ok',
    tags: {
      'c-a': { medias: [{ streams: [stream(true, 50, 8600), stream(false, 3, 200)] }] },
      'c-b': { medias: [{ streams: [stream(true, 48, 4000), stream(false, 2, 100)] }] },
    },
  };
  t.same(statsFromQuery(q, 'c-a', 'c-b'), {
    a: { packetsIn: 50, bytesIn: 8600, packetsOut: 48, bytesOut: 4000 },
    b: { packetsIn: 48, bytesIn: 4000, packetsOut: 50, bytesOut: 8600 },
  });
  t.same(statsFromQuery({ result: 'ok' }, 'x', 'y').a.packetsIn, 0, 'missing tags count as zero');
});

t.test('managed rtpengine command line', async (t) => {
  const args = rtpengineArgs({ mode: 'managed', ngHost: '127.0.0.1', ngPort: 2223, interfaceAddress: '10.0.0.5', advertisedAddress: '198.51.100.7', portMin: 40000, portMax: 40999, threads: 2, pidFile: '/run/spangate/rtpengine.pid', extraArgs: ['--log-level-ice=3'] });
  t.ok(args.includes('--foreground'));
  t.ok(args.includes('--table=-1'), 'userspace only');
  t.ok(args.includes('--config-file=none'), 'never reads the system config');
  t.ok(args.includes('--interface=10.0.0.5!198.51.100.7'));
  t.ok(args.includes('--listen-ng=127.0.0.1:2223'));
  t.ok(args.includes('--port-min=40000') && args.includes('--port-max=40999'));
  t.ok(args.includes('--num-threads=2'));
  t.ok(args.includes('--pidfile=/run/spangate/rtpengine.pid'));
  t.equal(args.at(-1), '--log-level-ice=3');
  t.throws(() => rtpengineArgs({ mode: 'managed', ngHost: '127.0.0.1', ngPort: 1 }), MediaError);
});

t.test('rtpengine log lines map to our levels', async (t) => {
  t.same(parseRtpengineLog('[1795242948.103378] INFO: [core] Startup complete, version 10.5'), { level: 'info', msg: 'Startup complete, version 10.5', subsystem: 'core' });
  t.same(parseRtpengineLog("[1.2] WARNING: [x1]: [core] Unknown 'SDES' flag"), { level: 'warn', msg: "Unknown 'SDES' flag", callId: 'x1', subsystem: 'core' });
  t.same(parseRtpengineLog('[1.2] ERR: bind failed'), { level: 'error', msg: 'bind failed' });
  t.same(parseRtpengineLog('[1.2] DEBUG: [ice] x'), { level: 'debug', msg: 'x', subsystem: 'ice' });
  t.same(parseRtpengineLog('free text'), { level: 'info', msg: 'free text' });
});

t.test('supervisor options from the media.rtpengine config section', async (t) => {
  const { optionsFromConfig } = await import('../../../src/media/rtpengine-supervisor.js');
  const { mediaSchema } = await import('../../../src/config/schema/media.js');
  const d = Object.fromEntries(Object.entries(mediaSchema.rtpengine).map(([k, v]) => [k, v.default]));
  const o = optionsFromConfig(d as never, mediaSchema.timeoutMs.default);
  t.equal(o.mode, 'managed'); t.equal(o.ngHost, '127.0.0.1'); t.equal(o.ngPort, 2223);
  t.equal(o.interfaceAddress, '127.0.0.1'); t.equal(o.advertisedAddress, undefined); t.equal(o.threads, undefined);
  t.equal(o.mediaTimeoutS, 90);
  t.ok(rtpengineArgs(o).includes('--timeout=90'));
  t.equal(optionsFromConfig({ ...(d as Record<string, unknown>), advertisedAddress: '198.51.100.1', threads: 2 } as never, 0).mediaTimeoutS, 3600);
});

t.test('INFO facing RFC 4733: offers ask rtpengine for DTMF injection, nothing else does', async (t) => {
  const info = { transport: 'RTP/AVP' as const, dtmf: 'info' as const };
  const rfc = { transport: 'RTP/AVP' as const, dtmf: 'rfc4733' as const };
  t.same(offerFlags(info, rfc)['flags'], ['inject DTMF']);
  t.same(offerFlags(rfc, info)['flags'], ['inject DTMF']);
  t.same(offerFlags({ ...info, symmetric: false }, rfc)['flags'], ['asymmetric', 'inject DTMF']);
  t.equal(offerFlags(rfc, rfc)['flags'], undefined);
  t.equal(offerFlags(info, info)['flags'], undefined);
  t.equal(injectsDtmf(undefined, rfc), false);
});

t.test('RFC 4733 toward an INFO leg: telephone-event offered only with a DTMF log', async (t) => {
  const info = { transport: 'RTP/AVP' as const, codecs: ['PCMU'], dtmf: 'info' as const };
  const rfc = { transport: 'RTP/AVP' as const, codecs: ['PCMU', 'telephone-event'], dtmf: 'rfc4733' as const };
  t.same(offerFlags(rfc, info, true)['codec'], { mask: ['all'], transcode: ['PCMU', 'telephone-event'] });
  t.same(offerFlags(rfc, info)['codec'], { mask: ['all'], transcode: ['PCMU'] }, 'no log: the INFO leg gets no telephone-event');
  t.equal(carriesEvents(info, info, true), false);
  t.equal(carriesEvents(rfc, { ...info, dtmf: 'inband' }, true), false);
  t.equal(interworkedEventSource({ a: rfc, b: info }), 'a');
  t.equal(interworkedEventSource({ a: info, b: rfc }), 'b');
  t.equal(interworkedEventSource({ a: info, b: info }), undefined);
  t.equal(interworkedEventSource({ a: { transport: 'RTP/AVP' }, b: info }), 'a', 'dtmf unset means RFC 4733');
  t.equal(eventDigit(11), '#'); t.equal(eventDigit(15), 'D'); t.equal(eventDigit(16), undefined);
});

const SDP = (port: number, te?: number): string =>
  `v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0${te !== undefined ? ` ${te}` : ''}\r\na=rtpmap:0 PCMU/8000\r\n${te !== undefined ? `a=rtpmap:${te} telephone-event/8000\r\n` : ''}`;

/** A fake NG client: records requests; offer/answer return the SDP with telephone-event as 101 (if it had one). */
function fakeRelay(): { relay: RtpengineRelay; sent: { cmd: string; msg: NgMessage }[] } {
  const sent: { cmd: string; msg: NgMessage }[] = [];
  const ng = {
    async request(cmd: string, msg: NgMessage): Promise<NgMessage> {
      sent.push({ cmd, msg });
      if (cmd === 'offer' || cmd === 'answer') {
        const te = /telephone-event/.test(String(msg['sdp'])) ? 101 : undefined;
        return { result: 'ok', sdp: SDP(30000, te) };
      }
      return { result: 'ok' };
    },
  } as unknown as NgClient;
  const relay = new RtpengineRelay({ ng, up: true, on: () => undefined }, { dtmfLog: { dest: '127.0.0.1:9' }, mediaTimeoutMs: 0 });
  return { relay, sent };
}

t.test('a session between an INFO caller and an RFC 4733 callee', async (t) => {
  const { relay, sent } = fakeRelay();
  const s = relay.createSession('c1');
  const info = { transport: 'RTP/AVP' as const, dtmf: 'info' as const };
  const rfc = { transport: 'RTP/AVP' as const, dtmf: 'rfc4733' as const };
  await s.offer({ sdp: SDP(4000), from: 'a', fromLeg: info, toLeg: rfc });
  t.match(String(sent[0]!.msg['sdp']), /telephone-event/, 'rtpengine sees telephone-event on the INFO leg');
  const toCaller = await s.answer({ sdp: SDP(5000, 101), from: 'b' });
  t.notMatch(toCaller, /telephone-event/, 'the INFO leg is never shown telephone-event');
  t.same(sent.at(-1), { cmd: 'blockDTMF', msg: { 'call-id': 'c1', 'from-tag': 'c1-b' } }, 'the RFC 4733 leg\'s events are blocked');
  const got: unknown[] = [];
  s.on('dtmf', (...a) => got.push(a));
  relay.handleDtmf({ callId: 'c1', sourceTag: 'c1-b', event: 11, durationMs: 160 });
  relay.handleDtmf({ callId: 'c1', sourceTag: 'c1-a', event: 5, durationMs: 100 });
  relay.handleDtmf({ callId: 'other', sourceTag: 'c1-b', event: 1, durationMs: 100 });
  relay.handleDtmf({ callId: 'c1', sourceTag: 'c1-b', event: 20, durationMs: 100 });
  t.same(got, [['b', '#', 160]], 'only the blocked leg\'s digits are reported');
});

t.test('a session between an RFC 4733 caller and an INFO callee', async (t) => {
  const { relay, sent } = fakeRelay();
  const s = relay.createSession('c2');
  const info = { transport: 'RTP/AVP' as const, dtmf: 'info' as const };
  const rfc = { transport: 'RTP/AVP' as const, dtmf: 'rfc4733' as const };
  const toCallee = await s.offer({ sdp: SDP(4000, 101), from: 'a', fromLeg: rfc, toLeg: info });
  t.notMatch(toCallee, /telephone-event/, 'the INFO callee is offered no telephone-event');
  await s.answer({ sdp: SDP(5000), from: 'b' });
  const answer = sent.find((x) => x.cmd === 'answer')!;
  t.match(String(answer.msg['sdp']), /a=rtpmap:101 telephone-event/, 'its answer gets back the offered telephone-event for rtpengine');
  t.same(sent.at(-1), { cmd: 'blockDTMF', msg: { 'call-id': 'c2', 'from-tag': 'c2-a' } });
  await s.close();
});
