// DTMF interworking RFC 4733 → SIP INFO through the real daemon and its managed rtpengine: the
// PBX trunk takes DTMF only by INFO (dtmf: info, its sipp peers put no telephone-event in their
// SDP), the UC trunk sends RFC 4733. The UC side's RTP endpoint sends "159#" as telephone-events;
// rtpengine blocks them toward the PBX leg and reports them through its DTMF log, and the PBX
// side's sipp receives one INFO per digit, in order, with the digit's duration — and neither
// telephone-event packets nor DTMF tones in its RTP. Both call directions; application/dtmf-relay
// and application/dtmf (trunk setting dtmfInfoType). Then the same through the native relay
// (both trunks mediaRelay: native), whose RFC 4733 endpoint reports the digits itself.
import t, { type Test } from 'tap';
import { AudioRtpPeer } from './support/audio-rtp.js';
import { PORTS, slot, type Gateway } from './support/gateway.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { metric } from './support/records.js';
import type { PeerEventOf, SippPeer } from '../../src/cli/demo/sipp-peer.js';

const DIGITS = [
  { digit: '1', ms: 100 },
  { digit: '5', ms: 140 },
  { digit: '9', ms: 180 },
  { digit: '#', ms: 220 },
];

/** Largest absolute sample the endpoint decoded (the far side sent digital silence). */
function peak(p: AudioRtpPeer): number {
  let m = 0;
  for (const s of p.samples) m = Math.max(m, Math.abs(s));
  return m;
}

/** The RFC 4733 side streams silence and keys the digits one after another. */
async function keyDigits(rfc: AudioRtpPeer, to: { ip: string; port: number }, tePt: number): Promise<void> {
  rfc.stream(to, 'PCMU', 0, tePt);
  for (const d of DIGITS) await rfc.sendDigit(d.digit, d.ms);
}

function checkInfos(t: Test, infos: PeerEventOf<'info'>[], type: 'application/dtmf-relay' | 'application/dtmf'): void {
  t.same(infos.map((i) => i.digit).join(''), DIGITS.map((d) => d.digit).join(''), 'one INFO per digit, in order');
  for (const [k, i] of infos.entries()) {
    t.equal(i.contentType, type, `INFO ${k + 1} is ${type}`);
    if (type === 'application/dtmf-relay') {
      const want = DIGITS[k]!.ms;
      t.ok(Math.abs(i.durationMs - want) <= 20, `INFO ${k + 1} Duration=${i.durationMs} (keyed ${want} ms)`);
    }
  }
}

const SLOT = 30;

/**
 * Waits for the PBX's INFOs and both sipps' end, then checks the INFOs and that the PBX got
 * neither telephone-event packets nor DTMF tones, but the UC side's audio.
 */
async function finish(t: Test, c: { pbx: SippPeer; uc: SippPeer; pbxRtp: AudioRtpPeer; ucRtp: AudioRtpPeer }, type: 'application/dtmf-relay' | 'application/dtmf'): Promise<void> {
  const infos: PeerEventOf<'info'>[] = [];
  for (let k = 0; k < DIGITS.length; k++) infos.push(await c.pbx.waitEvent('info', { index: k, timeoutMs: 30_000 }));
  const [pr, ur] = await Promise.all([c.pbx.done, c.uc.done]);
  c.pbxRtp.stop();
  c.ucRtp.stop();
  t.equal(pr.code, 0, `PBX: INFOs answered, BYE: ${sippText(pr)}`);
  t.equal(ur.code, 0, `UC side: ${sippText(ur)}`);
  checkInfos(t, infos, type);
  t.equal(c.pbxRtp.events.length, 0, `no telephone-event packets reached the PBX (pts ${JSON.stringify([...c.pbxRtp.pts])})`);
  t.ok(c.pbxRtp.samples.length >= 160 * 20, `the PBX received the UC side's audio (${c.pbxRtp.samples.length} samples)`);
  t.ok(peak(c.pbxRtp) < 1000, `no DTMF tones in the PBX's audio either (peak ${peak(c.pbxRtp)})`);
}

async function gateway(t: Test, infoType: 'dtmf-relay' | 'dtmf', relay: 'rtpengine' | 'native' = 'rtpengine'): Promise<Gateway> {
  return twoTrunkGateway(t, SLOT, {
    pbx: { extra: { dtmf: 'info', dtmfInfoType: infoType, mediaRelay: relay } },
    uc: { extra: { dtmf: 'rfc4733', mediaRelay: relay } },
    ...(relay === 'native' ? { extra: { media: { native: { address: slot(SLOT).gw, portMin: 25400, portMax: 25599, kernelForwarding: 'off' } } } } : {}),
  });
}

t.test('PBX (INFO) calls UC (RFC 4733): the UC side\'s telephone-events reach the PBX as INFO dtmf-relay', async (t) => {
  const gw = await gateway(t, 'dtmf-relay');
  const pbxRtp = await AudioRtpPeer.open(t, gw.addr.gw);
  const ucRtp = await AudioRtpPeer.open(t, gw.addr.gw);
  const uc = await startSipp(t, {
    scenario: 'uas-answer.xml', ip: gw.addr.uc, port: PORTS.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(ucRtp.port) }, sets: { ring_ms: '100' },
  });
  const pbx = await startSipp(t, {
    scenario: 'uac-recv-info.xml', ip: gw.addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 500,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(pbxRtp.port) },
  });
  const toUc = await uc.waitEvent('media');
  const toPbx = await pbx.waitEvent('media');
  t.notMatch(toPbx.codec, /telephone-event/i, `the PBX's answer offers no telephone-event (first codec ${toPbx.codec})`);
  pbxRtp.stream({ ip: toPbx.ip, port: toPbx.port }, 'PCMU', 0);
  await keyDigits(ucRtp, { ip: toUc.ip, port: toUc.port }, 101); // uas-answer.xml answers telephone-event as 101
  await finish(t, { pbx, uc, pbxRtp, ucRtp }, 'application/dtmf-relay');
  t.ok(ucRtp.samples.length >= 160 * 20, `the UC side received the PBX's audio (${ucRtp.samples.length} samples)`);
  t.equal(await metric(gw.metricsUrl, 'spangate_rtpengine_dtmf_events_total', { result: 'received' }), DIGITS.length, 'rtpengine logged one event per digit');
  t.equal(await metric(gw.metricsUrl, 'spangate_rtpengine_dtmf_events_total', { result: 'malformed' }), 0);
});

t.test('UC (RFC 4733) calls PBX (INFO): the caller\'s telephone-events reach the PBX as INFO application/dtmf', async (t) => {
  const gw = await gateway(t, 'dtmf'); // the same slot: the first test's gateway is gone
  const pbxRtp = await AudioRtpPeer.open(t, gw.addr.gw);
  const ucRtp = await AudioRtpPeer.open(t, gw.addr.gw);
  const pbx = await startSipp(t, {
    scenario: 'uas-recv-info.xml', ip: gw.addr.pbx, port: PORTS.uas, calls: 1, pauseMs: 500,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(pbxRtp.port) },
  });
  const uc = await startSipp(t, {
    scenario: 'uac-remote-bye.xml', ip: gw.addr.uc, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: PBX_NUMBER,
    keys: { calling: UC_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(ucRtp.port) }, // offers telephone-event 101
  });
  const toPbx = await pbx.waitEvent('media');
  const toUc = await uc.waitEvent('media');
  pbxRtp.stream({ ip: toPbx.ip, port: toPbx.port }, 'PCMU', 0);
  await keyDigits(ucRtp, { ip: toUc.ip, port: toUc.port }, 101);
  await finish(t, { pbx, uc, pbxRtp, ucRtp }, 'application/dtmf');
});

t.test('native relay: UC (RFC 4733) calls PBX (INFO), digits reach the PBX as INFO dtmf-relay', async (t) => {
  const gw = await gateway(t, 'dtmf-relay', 'native');
  const pbxRtp = await AudioRtpPeer.open(t, gw.addr.gw);
  const ucRtp = await AudioRtpPeer.open(t, gw.addr.gw);
  const pbx = await startSipp(t, {
    scenario: 'uas-recv-info.xml', ip: gw.addr.pbx, port: PORTS.uas, calls: 1, pauseMs: 500,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(pbxRtp.port) },
  });
  const uc = await startSipp(t, {
    scenario: 'uac-remote-bye.xml', ip: gw.addr.uc, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: PBX_NUMBER,
    keys: { calling: UC_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(ucRtp.port) },
  });
  const toPbx = await pbx.waitEvent('media');
  const toUc = await uc.waitEvent('media');
  pbxRtp.stream({ ip: toPbx.ip, port: toPbx.port }, 'PCMU', 0);
  await keyDigits(ucRtp, { ip: toUc.ip, port: toUc.port }, 101);
  await finish(t, { pbx, uc, pbxRtp, ucRtp }, 'application/dtmf-relay');
  const h = await gw.health();
  t.match(h.subsystems.media!.detail, /rtpengine not used/, 'the native relay carried it');
});
