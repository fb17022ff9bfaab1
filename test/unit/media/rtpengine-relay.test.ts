import t from 'tap';
import { injectsDtmf, offerFlags, statsFromQuery, SDES_SUITES } from '../../../src/media/rtpengine-relay.js';
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
