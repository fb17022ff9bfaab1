// DTMF interworking INFO → RFC 4733 through the real daemon: the PBX trunk signals DTMF by SIP
// INFO (dtmf: info), the UC trunk takes RFC 4733. The caller's INFOs (application/dtmf-relay
// "5", application/dtmf "9") become telephone-event packets in the RTP the UC side receives,
// injected by rtpengine (NG `play DTMF`), with the caller's audio still flowing around them.
// Then the same through the native relay (both trunks mediaRelay: native): the RFC 4733 leg's
// endpoint generates the events.
import t from 'tap';
import { RtpPeer, CODECS } from './support/rtp.js';
import { PORTS, slot } from './support/gateway.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';

/** RFC 4733 events (event code, end bit) in the packets an endpoint received with payload type `pt`. */
function events(peer: RtpPeer, pt: number): number[] {
  return [...new Set(peer.payloads(pt).map((p) => p[0]!))];
}

for (const relay of ['rtpengine', 'native'] as const) t.test(`INFO from the info trunk → RFC 4733 events toward the RFC 4733 trunk (${relay})`, async (t) => {
  const gw = await twoTrunkGateway(t, 28, {
    pbx: { extra: { dtmf: 'info', mediaRelay: relay } },
    uc: { extra: { dtmf: 'rfc4733', mediaRelay: relay } },
    // The same slot for both: the first test's gateway is gone when the second starts.
    ...(relay === 'native' ? { extra: { media: { native: { address: slot(28).gw, portMin: 25600, portMax: 25799, kernelForwarding: 'off' } } } } : {}),
  });
  const callerRtp = await RtpPeer.open(t, gw.addr.gw);
  const calleeRtp = await RtpPeer.open(t, gw.addr.gw);
  calleeRtp.keepPayloads = true;
  const callee = await startSipp(t, {
    scenario: 'uas-answer.xml', ip: gw.addr.uc, port: PORTS.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(calleeRtp.port) }, sets: { ring_ms: '100' },
  });
  const caller = await startSipp(t, {
    scenario: 'uac-info-dtmf.xml', ip: gw.addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 2000,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(callerRtp.port) },
  });
  const toCallee = await callee.waitEvent('media');
  const toCaller = await caller.waitEvent('media');
  const te = /telephone-event/i.test(toCallee.codec) ? toCallee.pt : undefined;
  const a = callerRtp.stream(toCaller, CODECS.PCMU, 500);
  const b = calleeRtp.stream(toCallee, CODECS.PCMU, 500);
  const [cr, ce] = await Promise.all([caller.done, callee.done]);
  a.stop();
  b.stop();
  t.equal(cr.code, 0, `caller: INFOs answered 200: ${sippText(cr)}`);
  t.equal(ce.code, 0, `callee: ${sippText(ce)}`);
  const eventPts = [...calleeRtp.byPt.keys()].filter((pt) => pt !== 0);
  t.equal(eventPts.length, 1, `one telephone-event payload type arrived (by pt: ${JSON.stringify([...calleeRtp.byPt])}, offered ${te ?? 'in the SDP'})`);
  const pt = eventPts[0]!;
  t.ok(calleeRtp.count(pt) >= 6, `${calleeRtp.count(pt)} RFC 4733 packets arrived`);
  t.same(events(calleeRtp, pt).sort(), [5, 9], 'events 5 and 9, the digits of the two INFOs');
  t.ok(calleeRtp.count(0) >= 100, `the caller's audio kept flowing (${calleeRtp.count(0)} PCMU packets)`);
});
