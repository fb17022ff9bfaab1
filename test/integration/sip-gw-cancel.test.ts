// CANCEL from either side: the caller gives up while the called trunk's sipp is ringing, in
// both directions (PBX → UC, UC → PBX). spangate answers the CANCEL, cancels the outbound leg
// (the ringing sipp gets the CANCEL and ends it with 487), the caller gets its 487, and the CDR
// says cancelled by the calling leg.
import t from 'tap';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { PORTS } from './support/gateway.js';
import { waitCdrs } from './support/records.js';

t.test('CANCEL while ringing, from the PBX side and from the UC side', async (t) => {
  const gw = await twoTrunkGateway(t, 7);
  const dirs = [
    { from: 'pbx', to: 'uc', called: UC_NUMBER, calling: PBX_NUMBER },
    { from: 'uc', to: 'pbx', called: PBX_NUMBER, calling: UC_NUMBER },
  ] as const;
  for (const [i, d] of dirs.entries()) {
    const callee = await startSipp(t, { scenario: 'uas-ring.xml', ip: gw.addr[d.to], port: PORTS.uas, calls: 1 });
    const caller = await startSipp(t, {
      scenario: 'uac-cancel.xml', ip: gw.addr[d.from], port: PORTS.uac, target: gw.sipTarget, calls: 1, called: d.called, pauseMs: 1000,
      keys: { calling: d.calling, rtp_ip: gw.addr.gw, rtp_port: '23997' },
    });
    const [rc, re] = await Promise.all([caller.done, callee.done]);
    t.equal(rc.code, 0, `${d.from} caller: CANCEL answered, 487 received: ${sippText(rc)}`);
    t.equal(re.code, 0, `${d.to} callee: got the CANCEL, sent 487, got the ACK: ${sippText(re)}`);
    const rows = await waitCdrs(gw.cdrFile, i + 1);
    const row = rows.find((r) => r.a.trunk === d.from)!;
    t.equal(row.disposition, 'cancelled');
    t.equal(row.endedBy, 'a');
    t.equal(row.b?.trunk, d.to);
    t.equal(row.answeredAt, null);
  }
});
