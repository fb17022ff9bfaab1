// Cause mapping on real calls: the UC trunk's sipp refuses with 486, 404 and 503; spangate
// maps each to its Q.850 cause (RFC 3398: 17, 1, 41), records it in the CDR, and the PBX side
// receives the SIP status that cause maps back to (486, 404, 503).
import t from 'tap';
import { failingCall, refusingCallee, sippText, twoTrunkGateway, UC_NUMBER } from './support/calls.js';
import { metric, waitCdrs } from './support/records.js';

const CASES = [
  { status: 486, reason: 'Busy Here', cause: 17, disposition: 'busy', back: 486 },
  { status: 404, reason: 'Not Found', cause: 1, disposition: 'failed', back: 404 },
  { status: 503, reason: 'Service Unavailable', cause: 41, disposition: 'failed', back: 503 },
] as const;

t.test('486 / 404 / 503 from the called trunk: cause in the CDR and status on the calling leg', async (t) => {
  const gw = await twoTrunkGateway(t, 6);
  for (const c of CASES) {
    const callee = await refusingCallee(t, gw, 'uc', c.status, c.reason);
    const { status, result } = await failingCall(t, gw, { from: 'pbx', called: UC_NUMBER });
    t.equal(result.code, 0, `caller sipp: ${sippText(result)}`);
    t.equal(status, c.back, `${c.status} from the UC side reaches the PBX side as ${c.back}`);
    const r = await callee.done;
    t.equal(r.code, 0, `callee sipp sent ${c.status} and got its ACK: ${sippText(r)}`);
    const rows = await waitCdrs(gw.cdrFile, 1, (row) => row.cause === c.cause);
    t.equal(rows[0]!.disposition, c.disposition, `CDR disposition for ${c.status}`);
    t.equal(rows[0]!.b?.trunk, 'uc');
  }
  for (const c of CASES) {
    t.ok(await metric(gw.metricsUrl, 'spangate_calls_failed_total', { trunk: 'uc', cause: String(c.cause) }) >= 1, `failure with cause ${c.cause} counted on the uc trunk`);
  }
  t.equal(await metric(gw.metricsUrl, 'spangate_calls_answered_total'), 0);
});
