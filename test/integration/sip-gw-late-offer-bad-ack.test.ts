// A late-offer caller whose ACK carries no SDP, then one whose ACK carries a broken SDP: each
// call is torn down with BYE to both sides (the UC side first gets an ACK refusing every stream,
// then the BYE), with cause 127 / 88 and the reason in the CDR; a call in the other direction
// that is up meanwhile keeps its RTP both ways.
import t from 'tap';
import { RtpPeer, CODECS } from './support/rtp.js';
import { PORTS } from './support/gateway.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { waitCdrs } from './support/records.js';

t.test('late offer with a bad ACK: BYE both sides, clear cause; the parallel call is unaffected', async (t) => {
  const gw = await twoTrunkGateway(t, 24);
  const p = PORTS;
  // The bystander: uc → pbx, early offer, RTP both ways for the whole test.
  const byCallerRtp = await RtpPeer.open(t, gw.addr.gw);
  const byCalleeRtp = await RtpPeer.open(t, gw.addr.gw);
  const byCallee = await startSipp(t, {
    scenario: 'uas-answer.xml', ip: gw.addr.pbx, port: p.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(byCalleeRtp.port) }, sets: { ring_ms: '100' },
  });
  const byCaller = await startSipp(t, {
    scenario: 'uac-call.xml', ip: gw.addr.uc, port: p.uac, target: gw.sipTarget, calls: 1, called: PBX_NUMBER, pauseMs: 600_000,
    keys: { calling: UC_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(byCallerRtp.port) },
  });
  const byCalleeMedia = await byCallee.waitEvent('media');
  const byCallerMedia = await byCaller.waitEvent('media');
  const s1 = byCallerRtp.stream(byCallerMedia, CODECS.PCMU);
  const s2 = byCalleeRtp.stream(byCalleeMedia, CODECS.PCMU);
  t.teardown(() => { s1.stop(); s2.stop(); });
  await Promise.all([byCalleeRtp.waitFor(10, 0), byCallerRtp.waitFor(10, 0)]);

  // The UC side takes both late-offer calls in turn.
  const callee = await startSipp(t, {
    scenario: 'uas-late-offer.xml', ip: gw.addr.uc, port: p.uas, calls: 2,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(PORTS.uas + 9) },
  });
  let calls = 0;
  for (const [mode, cause, text] of [['1', 127, /ACK carried no SDP answer/], ['2', 88, /bad SDP answer in the ACK/]] as const) {
    const before = { a: byCalleeRtp.count(0), b: byCallerRtp.count(0) };
    const caller = await startSipp(t, {
      scenario: 'uac-late-offer.xml', ip: gw.addr.pbx, port: p.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER,
      keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(PORTS.uac + 9) },
      sets: { ack_mode: mode },
    });
    const r = await caller.done;
    t.equal(r.code, 0, `ack_mode ${mode}: the caller got our offer, sent its ACK, then got a BYE: ${sippText(r)}`);
    const bye = caller.events.find((e) => e.kind === 'final');
    t.equal(bye?.kind === 'final' ? bye.status : 0, cause, `the caller's BYE carries Reason cause ${cause}`);
    const rows = await waitCdrs(gw.cdrFile, 1, (row) => row.cause === cause);
    t.equal(rows[0]!.disposition, 'failed');
    t.match(rows[0]!.causeText, text, `CDR: ${rows[0]!.causeText}`);
    t.equal(rows[0]!.a.trunk, 'pbx');
    t.equal(rows[0]!.b?.trunk, 'uc');
    // The UC side's ACK refused every stream (port 0), then it got the BYE.
    // (sipp logs it from a forked shell, so it is awaited, not read at once.)
    const ack = await callee.waitEvent('media', { index: calls++, timeoutMs: 30_000 });
    t.equal(ack.port, 0, 'the called side\'s ACK refuses the streams (port 0)');
    // The bystander keeps talking both ways meanwhile.
    await Promise.all([byCalleeRtp.waitFor(before.a + 25, 0), byCallerRtp.waitFor(before.b + 25, 0)]);
  }
  const ce = await callee.done;
  t.equal(ce.code, 0, `UC side: two offerless INVITEs, ACK, BYE each: ${sippText(ce)}`);
  t.same(callee.events.filter((e) => e.kind === 'invite').map((e) => e.kind === 'invite' && e.contentLength), [0, 0]);

  // The bystander stayed up throughout; it is cleared at teardown.
  t.ok(byCalleeRtp.count(0) >= 50 && byCallerRtp.count(0) >= 50, `bystander RTP ${byCallerRtp.count(0)} / ${byCalleeRtp.count(0)}`);
});
