// Attended transfer to a dialog the gateway does not hold, refused by the target: the UC side
// (B) talks to PBX caller A and sends REFER whose Replaces names a dialog elsewhere. The gateway
// sends an INVITE with Replaces (and Require: replaces) to the target on B's own trunk; the
// target answers 481 (no such dialog), B hears NOTIFY 481, and A ⇄ B goes on: RTP counted both
// ways after the failure, then the call ends normally.
import t from 'tap';
import { RtpPeer, CODECS } from './support/rtp.js';
import { PORTS } from './support/gateway.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { waitCdrs } from './support/records.js';

const TARGET = '+15552009999';

t.test('Replaces naming a dialog elsewhere: INVITE with Replaces on the transferor\'s trunk, 481 → NOTIFY 481, call stays up', async (t) => {
  const gw = await twoTrunkGateway(t, 41, { uc: { extra: { refer: 'local' } } });
  const p = PORTS;
  const aRtp = await RtpPeer.open(t, gw.addr.gw);
  const bRtp = await RtpPeer.open(t, gw.addr.gw);
  const b = await startSipp(t, {
    scenario: 'uas-attended-remote.xml', ip: gw.addr.uc, port: p.uas, calls: 2,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(bRtp.port), refer_to: TARGET },
  });
  const a = await startSipp(t, {
    scenario: 'uac-call.xml', ip: gw.addr.pbx, port: p.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 8000,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(aRtp.port) },
  });
  const toA = await b.waitEvent('media');
  const toB = await a.waitEvent('media');
  const fin = await b.waitEvent('final');
  t.equal(fin.status, 481, 'the transferor heard 481 in the final NOTIFY');
  const rep = await b.waitEvent('replaces');
  t.match(rep.value, /^elsewhere-\d+@pbx\.example;to-tag=theirs;from-tag=ours require= ?replaces$/, 'the target got the Replaces header unescaped, and Require: replaces');
  t.not(rep.callId, toA.callId, 'in a new INVITE');
  // The original call is still up: RTP both ways through the relay.
  const fromA = aRtp.stream(toB, CODECS.PCMU, 150);
  const fromB = bRtp.stream(toA, CODECS.PCMU, 150);
  await Promise.all([bRtp.waitFor(50, 0), aRtp.waitFor(50, 0)]);
  t.ok(bRtp.count(0) >= 50, `B received ${bRtp.count(0)} packets from A after the failed transfer`);
  t.ok(aRtp.count(0) >= 50, `A received ${aRtp.count(0)} packets from B after the failed transfer`);
  const [ar, br] = await Promise.all([a.done, b.done]);
  fromA.stop();
  fromB.stop();
  t.equal(ar.code, 0, `A: ${sippText(ar)}`);
  t.equal(br.code, 0, `B: REFER 202, NOTIFY 100/481, the target's 481, BYE: ${sippText(br)}`);

  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.b?.trunk, 'uc', 'B is still the far end at the end');
  t.equal(cdr!.endedBy, 'a');
  t.match(cdr!.transfers, [{ kind: 'attended', from: 'b', to: TARGET, trunk: 'uc' }], 'the failed attended transfer is recorded');
  t.ok((cdr!.transfers[0]?.cause ?? 0) > 0, `with its cause (${cdr!.transfers[0]?.cause})`);
});
