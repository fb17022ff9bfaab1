// SRTP on one side against a real SRTP endpoint: a UC phone offers SRTP (SDES
// AES_CM_128_HMAC_SHA1_80) to the PBX, which speaks plain RTP; the phone's media is a second
// rtpengine (support/srtp-phone.ts). Both directions decrypt at the far end; the CDR has it.
import t from 'tap';
import { twoTrunkGateway } from './support/calls.js';
import { srtpCall, SUITE } from './support/srtp-phone.js';
import { waitCdrs } from './support/records.js';

t.test('SRTP UC phone ⇄ plain PBX: SDES answered, both directions decrypt at the far end', async (t) => {
  const gw = await twoTrunkGateway(t, 5, { uc: { srtp: 'optional', extra: { srtpSuites: [SUITE] } } });
  await srtpCall(t, gw);
  const [cdr] = await waitCdrs(gw.cdrFile, 1);
  t.equal(cdr!.disposition, 'answered');
  t.equal(cdr!.a.trunk, 'uc');
  t.ok((cdr!.a.rtp?.packetsIn ?? 0) >= 50, 'spangate\'s rtpengine accepted the SRTP packets from the phone');
});
