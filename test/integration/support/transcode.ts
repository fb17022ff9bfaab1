// A transcoded call: the PBX offers only PCMU, the UC trunk is configured for one other codec
// (and its sipp answers with it), so the two sides share no codec and rtpengine transcodes.
// Each side's RTP endpoint must receive its own codec's payload type, in both directions.
import type { Test } from 'tap';
import { answeredCall, sippText, twoTrunkGateway } from './calls.js';
import { CODECS, type StreamCodec } from './rtp.js';
import { waitCdrs } from './records.js';

export async function transcodedCall(t: Test, slotNo: number, far: StreamCodec): Promise<void> {
  const gw = await twoTrunkGateway(t, slotNo, { uc: { codecs: [far.name, 'telephone-event'] } });
  const r = await answeredCall(t, gw, { direction: 'pbx-to-uc', callerCodec: CODECS.PCMU, calleeCodec: far });
  t.equal(r.caller.code, 0, `caller sipp: ${sippText(r.caller)}`);
  t.equal(r.callee.code, 0, `callee sipp: ${sippText(r.callee)}`);
  t.equal(r.calleeMedia.codec.toLowerCase(), far.name.toLowerCase(), `the UC side is offered ${far.name} first`);
  t.equal(r.callerMedia.codec, 'PCMU', 'the PBX side is answered PCMU');
  const farPt = r.calleeMedia.pt;
  t.ok(r.calleeRtp.count(farPt) >= 50, `UC side received ${r.calleeRtp.count(farPt)} ${far.name} (pt ${farPt}) packets; by pt ${JSON.stringify([...r.calleeRtp.byPt])}`);
  t.equal(r.calleeRtp.count(0), 0, 'no PCMU leaked to the UC side');
  t.ok(r.callerRtp.count(0) >= 50, `PBX side received ${r.callerRtp.count(0)} PCMU packets transcoded from ${far.name}; by pt ${JSON.stringify([...r.callerRtp.byPt])}`);
  t.equal(r.callerRtp.count(farPt), 0, `no ${far.name} leaked to the PBX side`);
  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.a.codec, 'PCMU');
  t.equal(cdr!.b?.codec?.toLowerCase(), far.name.toLowerCase());
}
