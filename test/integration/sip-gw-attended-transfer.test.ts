// Attended transfer joined locally (RFC 5589 §7): a PBX caller A talks to UC user B (call 1);
// PBX party C calls B too (call 2, the consultation call); B sends REFER on call 1 whose
// Refer-To carries Replaces naming its call-2 dialog with the gateway. The gateway holds that
// dialog, so it joins A and C itself: C is re-INVITEd into call 1's media, A re-INVITEd with
// C's, B's call-2 dialog gets BYE, B hears NOTIFY 200 and its call-1 dialog gets BYE too. A and
// C answer the re-INVITEs on new ports: RTP from each arrives at the other's new port.
import t from 'tap';
import { RtpPeer, CODECS } from './support/rtp.js';
import { PORTS } from './support/gateway.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { waitCdrs } from './support/records.js';

const C_NUMBER = '+15551005678';
const B2_NUMBER = '+15552005678';

t.test('attended transfer to a dialog the gateway holds: A and C joined, RTP both ways, both UC legs get BYE', async (t) => {
  const gw = await twoTrunkGateway(t, 40, { uc: { extra: { refer: 'local' } } });
  const p = PORTS;
  const aRtp = await RtpPeer.open(t, gw.addr.gw);
  const aRtp2 = await RtpPeer.open(t, gw.addr.gw);
  const cRtp = await RtpPeer.open(t, gw.addr.gw);
  const cRtp2 = await RtpPeer.open(t, gw.addr.gw);
  const bRtp = await RtpPeer.open(t, gw.addr.gw);
  const b = await startSipp(t, {
    scenario: 'uas-attended-local.xml', ip: gw.addr.uc, port: p.uas, calls: 2,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(bRtp.port), refer_to: C_NUMBER },
  });
  const a = await startSipp(t, {
    scenario: 'uac-transferred.xml', ip: gw.addr.pbx, port: p.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 6000,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(aRtp.port), rtp_port2: String(aRtp2.port) },
  });
  await a.waitEvent('media');
  // Call 1 is up: C calls B (the consultation call).
  const c = await startSipp(t, {
    scenario: 'uac-joined.xml', ip: gw.addr.pbx, port: p.uac + 1, target: gw.sipTarget, calls: 1, called: B2_NUMBER,
    keys: { calling: C_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(cRtp.port), rtp_port2: String(cRtp2.port) },
  });
  const cRe = await c.waitEvent('media', { where: (e) => e.callId.endsWith('-re') });
  const aRe = await a.waitEvent('media', { where: (e) => e.callId.endsWith('-re') });
  t.equal(cRe.ip, gw.addr.gw, 'C is re-INVITEd toward the relay');
  t.equal(aRe.ip, gw.addr.gw, 'A is re-INVITEd toward the relay');
  // C talks first: only C's answer to the re-INVITE can have told the relay about its new port.
  const fromC = cRtp2.stream(cRe, CODECS.PCMU, 150);
  await aRtp2.waitFor(50, 0);
  t.ok(aRtp2.count(0) >= 50, `A's new port received ${aRtp2.count(0)} packets from C`);
  const fromA = aRtp2.stream(aRe, CODECS.PCMU, 150);
  await cRtp2.waitFor(50, 0);
  t.ok(cRtp2.count(0) >= 50, `C's new port received ${cRtp2.count(0)} packets from A`);
  const [ar, br, cr] = await Promise.all([a.done, b.done, c.done]);
  fromA.stop();
  fromC.stop();
  t.equal(ar.code, 0, `A: re-INVITE answered, BYE: ${sippText(ar)}`);
  t.equal(br.code, 0, `B: REFER 202, NOTIFY 100/200, BYE on both dialogs: ${sippText(br)}`);
  t.equal(cr.code, 0, `C: re-INVITE answered, BYE from the gateway: ${sippText(cr)}`);
  const fin = b.events.find((e) => e.kind === 'final');
  t.equal(fin?.kind === 'final' ? fin.status : 0, 200, 'the transferor heard 200 OK in the final NOTIFY');

  const rows = await waitCdrs(gw.cdrFile, 2);
  const call1 = rows.find((r) => r.a.calling === PBX_NUMBER);
  const call2 = rows.find((r) => r.a.calling === C_NUMBER);
  t.ok(call1 && call2, 'a CDR for each call');
  t.equal(call1!.disposition, 'answered');
  t.equal(call1!.b?.trunk, 'pbx', 'call 1 ends with C in B\'s place');
  t.equal(call1!.b?.calling, C_NUMBER);
  t.match(call1!.transfers, [{ kind: 'attended', from: 'b', to: C_NUMBER, joinedCall: call2!.id, trunk: 'pbx' }], 'call 1 records the attended transfer');
  t.notOk(call1!.transfers[0]!.cause, 'and that it succeeded');
  t.match(call2!.transfers, [{ kind: 'replaced', joinedCall: call1!.id }], 'call 2 records that its party joined call 1');
  t.equal(call2!.cause, 16, 'call 2 ended normally');
});
