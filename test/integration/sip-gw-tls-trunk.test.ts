// TLS and TCP trunks end to end through the daemon: the UC trunk is a `lync`-profile TLS trunk
// (mutual TLS, FQDN Contact) whose peer is Kamailio reached by its FQDN, with sipp behind it;
// the PBX trunk is `ocs2007` over TCP with sipp. OPTIONS over TLS mark the UC trunk up; calls
// both ways carry the FQDN Contact on the TLS side, keep every in-dialog request on TLS through
// Kamailio's Record-Route, and RTP flows both ways through rtpengine (packets counted).
import t from 'tap';
import { answeredCall, sippText } from './support/calls.js';
import { waitUntil } from './support/gateway.js';
import { metric, waitCdrs } from './support/records.js';
import { CONTACT_TRANSPORT, ECHO_RECORD_ROUTE, GW_FQDN, TLS_PORTS, UC_FQDN, tlsTrunkGateway } from './support/tls-trunk.js';

t.test('TLS UC trunk (lync) and TCP PBX trunk (ocs2007) end to end', async (t) => {
  const { gw, kam, addr, ucTarget } = await tlsTrunkGateway(t, 20, {
    uc: { options: { intervalS: 60, timeoutMs: 3000 }, extra: { profile: 'lync' } },
  });
  const fqdnContact = new RegExp(`^<sip:(?:[^@>]+@)?${GW_FQDN.replace(/\./g, '\\.')}:${TLS_PORTS.gw};transport=tls>`);

  await t.test('OPTIONS over TLS to the FQDN mark the trunk up', async (t) => {
    const opt = await kam.waitLine((l) => l.kind === 'req' && l.what === 'OPTIONS', 'an OPTIONS over TLS');
    t.equal(opt.proto, 'tls');
    t.match(opt.ruri, `sip:${UC_FQDN}:${TLS_PORTS.kamTls};transport=tls`, 'probed by the peer\'s FQDN');
    t.equal(opt.contact, `<sip:${GW_FQDN}:${TLS_PORTS.gw};transport=tls>`, 'our FQDN (no user part) in the OPTIONS Contact');
    t.match(opt.via, /^SIP\/2\.0\/TLS /);
    t.match(opt.tlsVersion, /^TLSv1\.[23]$/, `TLS 1.2 or later (${opt.tlsVersion})`);
    await waitUntil(async () => (await metric(gw.metricsUrl, 'spangate_sip_trunk_up', { trunk: 'uc' })) === 1, 'spangate_sip_trunk_up{trunk="uc"} 1');
    t.pass('the UC trunk is up (spangate_sip_trunk_up{trunk="uc"} 1)');
  });

  await t.test('PBX (TCP) → UC (TLS): FQDN Contact, in-dialog on TLS, RTP both ways', async (t) => {
    const r = await answeredCall(t, gw, {
      direction: 'pbx-to-uc',
      caller: { transport: 'tcp', replace: CONTACT_TRANSPORT },
      callee: { ip: addr.uc2, replace: [ECHO_RECORD_ROUTE] },
    });
    t.equal(r.caller.code, 0, `caller: ${sippText(r.caller)}`);
    t.equal(r.callee.code, 0, r.callee.code === 0 ? 'callee behind Kamailio done' : `callee: ${sippText(r.callee)} ${kam.log}`);
    t.ok(r.calleeRtp.count(0) >= 50, `UC side received ${r.calleeRtp.count(0)} PCMU packets`);
    t.ok(r.callerRtp.count(0) >= 50, `PBX side received ${r.callerRtp.count(0)} PCMU packets`);
    const invite = await kam.waitLine((l) => l.kind === 'req' && l.what === 'INVITE', 'our INVITE over TLS');
    t.equal(invite.proto, 'tls', 'INVITE over TLS');
    t.match(invite.ruri, new RegExp(`^sip:\\+15552001234@${UC_FQDN.replace(/\./g, '\\.')}:${TLS_PORTS.kamTls};transport=tls`), 'Request-URI names the peer by FQDN');
    t.match(invite.contact, fqdnContact, `FQDN Contact (${invite.contact})`);
    t.equal(invite.recordRoute, '<null>', 'a B2BUA adds no Record-Route: its Contact is the FQDN the peer routes to');
    t.match(invite.via, new RegExp(`^SIP/2\\.0/TLS ${addr.gw.replace(/\./g, '\\.')}:${TLS_PORTS.gw}`));
    const ack = await kam.waitLine((l) => l.kind === 'req' && l.what === 'ACK', 'the ACK over TLS');
    t.match(ack.via, /^SIP\/2\.0\/TLS /, 'ACK follows the route set over TLS');
    const [cdr] = await waitCdrs(gw.cdrFile, 1);
    t.equal(cdr!.disposition, 'answered');
    t.equal(cdr!.a.trunk, 'pbx');
    t.equal(cdr!.b?.trunk, 'uc');
  });

  await t.test('UC (TLS) → PBX (TCP): our 200 over TLS carries the FQDN Contact, RTP both ways', async (t) => {
    const before = kam.lines.length;
    const r = await answeredCall(t, gw, {
      direction: 'uc-to-pbx',
      caller: { ip: addr.uc2, target: ucTarget },
      callee: { transport: 'tcp', replace: CONTACT_TRANSPORT },
    });
    t.equal(r.caller.code, 0, r.caller.code === 0 ? 'caller behind Kamailio done' : `caller: ${sippText(r.caller)} ${kam.log}`);
    t.equal(r.callee.code, 0, `callee: ${sippText(r.callee)}`);
    t.ok(r.calleeRtp.count(0) >= 50, `PBX side received ${r.calleeRtp.count(0)} PCMU packets`);
    t.ok(r.callerRtp.count(0) >= 50, `UC side received ${r.callerRtp.count(0)} PCMU packets`);
    const ok = await kam.waitLine((l) => l.kind === 'rpl' && l.what === '200' && / INVITE$/.test(l.cseq), 'our 200 to the INVITE over TLS', before);
    t.match(ok.contact, fqdnContact, `FQDN Contact in our 200 (${ok.contact})`);
    t.equal(ok.proto, 'tls');
    const rows = await waitCdrs(gw.cdrFile, 2);
    const cdr = rows.find((c) => c.a.trunk === 'uc');
    t.equal(cdr?.disposition, 'answered');
    t.equal(cdr?.b?.trunk, 'pbx');
  });
});
