// SRTP toward a trunk that requires it: the UC trunk has the `teams` profile (TLS 1.2+, mutual
// TLS, FQDN Contact, SDES AES_CM_128_HMAC_SHA1_80 required); its peer is Kamailio over TLS with
// a sipp UAS behind it whose media is a second rtpengine (the SRTP phone, support/srtp-phone.ts
// has the other direction). A plain-RTP call from the PBX (sipp over TCP) must reach the UC side
// as RTP/SAVP with a crypto line, and both SRTP directions must decrypt at the far ends (packets
// counted at the plain endpoints). A plain answer from it ends the call (BYE to it, 488 to the
// caller: media must not go in the clear). An offer from that trunk without SRTP, or RTP/SAVP
// without a crypto line, gets 488.
import t from 'tap';
import { RtpengineRelay } from '../../src/media/rtpengine-relay.js';
import { PCMU, sdp, startRtpengine, target } from './rtpengine-harness.test.js';
import { PBX_NUMBER, startSipp, sippText, UC_NUMBER } from './support/calls.js';
import { PORTS } from './support/gateway.js';
import { waitCdrs } from './support/records.js';
import { CODECS, RtpPeer } from './support/rtp.js';
import { SUITE, srtpCall } from './support/srtp-phone.js';
import { CONTACT_TRANSPORT, ECHO_RECORD_ROUTE, GW_FQDN, tlsTrunkGateway } from './support/tls-trunk.js';

t.test('teams trunk requiring SRTP over TLS', async (t) => {
  const { gw, kam, addr, ucTarget } = await tlsTrunkGateway(t, 21, {
    // No OPTIONS: the INVITE opens the TLS connection itself (checked against the peer's name).
    uc: { extra: { profile: 'teams', options: { enabled: false } } },
  });

  await t.test('plain PBX (TCP) → teams (TLS): RTP/SAVP offer with SDES, both directions decrypt', async (t) => {
    // The phone's SRTP side, made before the call: its key and port go into the UAS's answer.
    const { sup } = await startRtpengine(t, { ip: addr.uc, ngPort: PORTS.ng + 1, portMin: 23600, portMax: 23699 });
    const phoneRelay = new RtpengineRelay(sup, { mediaTimeoutMs: 0 });
    const phone = await RtpPeer.open(t, addr.uc);
    const pbx = await RtpPeer.open(t, addr.gw);
    const session = phoneRelay.createSession('teams-phone');
    t.teardown(() => session.close().then(() => undefined, () => undefined));
    const phoneOut = target(await session.offer({
      sdp: sdp(addr.uc, phone.port, [PCMU]), from: 'a',
      fromLeg: { transport: 'RTP/AVP' }, toLeg: { transport: 'RTP/SAVP', srtpSuites: [SUITE] },
    }));
    const phoneCrypto = phoneOut.crypto[0]!;

    const callee = await startSipp(t, {
      scenario: 'uas-answer-srtp.xml', ip: addr.uc2, port: PORTS.uas, calls: 1, replace: [ECHO_RECORD_ROUTE],
      keys: { rtp_ip: phoneOut.ip, rtp_port: String(phoneOut.port), pt: '0', codec: 'PCMU/8000', crypto: `1 ${phoneCrypto.suite} ${phoneCrypto.keyParams}` },
    });
    const caller = await startSipp(t, {
      scenario: 'uac-call.xml', ip: addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 5000,
      transport: 'tcp', replace: CONTACT_TRANSPORT,
      keys: { calling: PBX_NUMBER, rtp_ip: addr.gw, rtp_port: String(pbx.port), pt: '0', codec: 'PCMU/8000' },
    });
    const offered = await callee.waitEvent('media');
    const crypto = await callee.waitEvent('crypto');
    t.equal(offered.proto, 'RTP/SAVP', 'the teams side is offered SRTP');
    t.equal(offered.ip, addr.gw, 'at spangate\'s rtpengine');
    t.match(crypto.line, new RegExp(`^1 ${SUITE} inline:[A-Za-z0-9+/]{40}`), `SDES ${SUITE} (${crypto.line})`);
    const invite = await kam.waitLine((l) => l.kind === 'req' && l.what === 'INVITE', 'our INVITE over TLS');
    t.equal(invite.proto, 'tls');
    t.match(invite.contact, `@${GW_FQDN}:`, 'FQDN Contact');
    // The phone learns spangate's SRTP key and address from the offer the UAS logged.
    const phoneIn = target(await session.answer({
      sdp: sdp(offered.ip, offered.port, [PCMU], { proto: 'RTP/SAVP', crypto: crypto.line }), from: 'b',
    }));
    const answered = await caller.waitEvent('media');
    t.equal(answered.proto, 'RTP/AVP', 'the PBX keeps plain RTP');

    const a = phone.stream({ ip: phoneIn.ip, port: phoneIn.port }, CODECS.PCMU, 150);
    const b = pbx.stream({ ip: answered.ip, port: answered.port }, { ...CODECS.PCMU, pt: answered.pt }, 150);
    await Promise.all([phone.waitFor(50, 0), pbx.waitFor(50, 0)]);
    t.ok(pbx.count(0) >= 50, `the plain PBX received ${pbx.count(0)} packets the SRTP side sent (decrypted by spangate)`);
    t.ok(phone.count(0) >= 50, `the SRTP phone decrypted ${phone.count(0)} packets spangate encrypted`);
    const [rc, re] = await Promise.all([caller.done, callee.done]);
    a.stop();
    b.stop();
    t.equal(rc.code, 0, rc.code === 0 ? 'caller done' : `caller: ${sippText(rc)}`);
    t.equal(re.code, 0, re.code === 0 ? 'callee done' : `callee: ${sippText(re)} ${kam.log}`);
    const [cdr] = await waitCdrs(gw.cdrFile, 1);
    t.equal(cdr!.disposition, 'answered');
    t.equal(cdr!.b?.trunk, 'uc');
    t.ok((cdr!.b?.rtp?.packetsIn ?? 0) >= 50, 'spangate\'s rtpengine accepted the SRTP packets from the teams side');
  });

  await t.test('teams (TLS, SRTP) → plain PBX (TCP): SDES answered, both directions decrypt', async (t) => {
    const before = kam.lines.length;
    await srtpCall(t, gw, { caller: { ip: addr.uc2, target: ucTarget }, callee: { transport: 'tcp', replace: CONTACT_TRANSPORT } });
    const ok = await kam.waitLine((l) => l.kind === 'rpl' && l.what === '200' && / INVITE$/.test(l.cseq), 'our 200 over TLS', before);
    t.equal(ok.proto, 'tls');
    t.match(ok.contact, `${GW_FQDN}:`, 'FQDN Contact in our answer');
    const rows = await waitCdrs(gw.cdrFile, 2);
    t.equal(rows[0]?.disposition, 'answered');
    t.equal(rows[0]?.a.trunk, 'uc');
    t.ok((rows[0]?.a.rtp?.packetsIn ?? 0) >= 50, 'spangate\'s rtpengine accepted the SRTP packets from the teams side');
  });

  await t.test('a plain RTP/AVP answer from the teams side ends the call: media toward it stays encrypted', async (t) => {
    const before = kam.lines.length;
    const callee = await startSipp(t, {
      scenario: 'uas-answer.xml', ip: addr.uc2, port: PORTS.uas, calls: 1, replace: [ECHO_RECORD_ROUTE],
      keys: { rtp_ip: addr.uc2, rtp_port: '23996', pt: '0', codec: 'PCMU/8000' }, sets: { ring_ms: '50' },
    });
    const caller = await startSipp(t, {
      scenario: 'uac-fail.xml', ip: addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER,
      transport: 'tcp', replace: CONTACT_TRANSPORT,
      keys: { calling: PBX_NUMBER, rtp_ip: addr.gw, rtp_port: '23998' },
    });
    const r = await caller.done;
    const final = caller.events.find((e) => e.kind === 'final');
    t.equal(final?.kind === 'final' ? final.status : 0, 488, `the PBX gets 488 (${sippText(r)})`);
    const bye = await kam.waitLine((l) => l.kind === 'req' && l.what === 'BYE', 'our BYE to the teams side over TLS', before);
    t.equal(bye.proto, 'tls');
    const re = await callee.done;
    t.equal(re.code, 0, `callee: ${sippText(re)}`);
    const rows = await waitCdrs(gw.cdrFile, 3);
    t.equal(rows[0]?.disposition, 'failed');
    t.equal(rows[0]?.cause, 65, 'cause 65 (bearer capability not implemented), as a 488 maps');
  });

  for (const [what, proto] of [['plain RTP/AVP', 'RTP/AVP'], ['RTP/SAVP without a crypto line', 'RTP/SAVP']] as const) {
    await t.test(`an offer from the teams trunk with ${what} gets 488`, async (t) => {
      const before = kam.lines.length;
      const caller = await startSipp(t, {
        scenario: 'uac-fail.xml', ip: addr.uc2, port: PORTS.uac, target: ucTarget, calls: 1, called: PBX_NUMBER,
        replace: [['RTP/AVP', proto]],
        keys: { calling: UC_NUMBER, rtp_ip: addr.uc2, rtp_port: '23998' },
      });
      const r = await caller.done;
      const final = caller.events.find((e) => e.kind === 'final');
      t.equal(final?.kind === 'final' ? final.status : 0, 488, `488 (${sippText(r)})`);
      const rpl = await kam.waitLine((l) => l.kind === 'rpl' && l.what === '488', 'our 488 over TLS', before);
      t.equal(rpl.proto, 'tls');
    });
  }
});
