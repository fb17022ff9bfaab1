// REFER under trunk policy `pass`: the UC side (refer: pass) sends REFER; spangate hands it to
// the PBX caller's dialog as a REFER of its own (same Refer-To), answers the UC side with the
// caller's 202, and relays the caller's NOTIFYs (100 Trying, then 200 OK terminated) back to
// the UC side, which then leaves; the caller gets the gateway's BYE.
import t from 'tap';
import { PORTS } from './support/gateway.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { waitCdrs } from './support/records.js';

t.test('REFER passed from the UC side to the caller, NOTIFYs relayed back', async (t) => {
  const gw = await twoTrunkGateway(t, 29, { uc: { extra: { refer: 'pass' } } });
  const p = PORTS;
  const uc = await startSipp(t, {
    scenario: 'uas-refer.xml', ip: gw.addr.uc, port: p.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(PORTS.uas + 9), refer_to: '+15551007777' },
  });
  const caller = await startSipp(t, {
    scenario: 'uac-refer-target.xml', ip: gw.addr.pbx, port: p.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(PORTS.uac + 9), rtp_port2: String(PORTS.uac + 8) },
  });
  const [cr, ur] = await Promise.all([caller.done, uc.done]);
  t.equal(cr.code, 0, `caller: REFER in, 202, two NOTIFYs, BYE: ${sippText(cr)}`);
  t.equal(ur.code, 0, `UC side: 202, NOTIFY 100 and 200 relayed, BYE: ${sippText(ur)}`);
  const refer = caller.events.find((e) => e.kind === 'refer');
  t.equal(refer?.kind === 'refer' ? refer.user : '', '+15551007777', 'the caller got the UC side\'s Refer-To');
  const fin = uc.events.find((e) => e.kind === 'final');
  t.equal(fin?.kind === 'final' ? fin.status : 0, 200, 'the caller\'s final NOTIFY reached the UC side');
  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.endedBy, 'b');
});
