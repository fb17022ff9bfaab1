// Hop and loop checks through the real daemon: the outbound INVITE carries the caller's
// Max-Forwards less one; an INVITE arriving with Max-Forwards 0 gets 483; an INVITE whose Via
// chain holds the gateway's own sent-by (a loop through a proxy that dropped X-Spangate-Via)
// gets 482. Refused INVITEs never reach routing (no CDR), and the counters say why.
import t from 'tap';
import { answeredCall, failingCall, sippText, twoTrunkGateway, UC_NUMBER } from './support/calls.js';
import { metric, readCdrs, waitCdrs } from './support/records.js';

t.test('Max-Forwards decremented, 483 at 0, 482 for our own Via in the chain', async (t) => {
  const gw = await twoTrunkGateway(t, 25);

  const r = await answeredCall(t, gw, { direction: 'pbx-to-uc', packets: 10, talkMs: 1000 });
  t.equal(r.caller.code, 0, `caller: ${sippText(r.caller)}`);
  const hops = r.calleeSipp.events.find((e) => e.kind === 'hops');
  t.equal(hops?.kind === 'hops' ? hops.maxForwards : -1, 69, 'Max-Forwards 70 in, 69 out');
  await waitCdrs(gw.cdrFile, 1);

  const zero = await failingCall(t, gw, { from: 'pbx', called: UC_NUMBER, replace: [['Max-Forwards: 70', 'Max-Forwards: 0']] });
  t.equal(zero.status, 483, `Max-Forwards 0 → 483 Too Many Hops: ${sippText(zero.result)}`);

  const ownVia = `Via: SIP/2.0/UDP ${gw.sipTarget};branch=z9hG4bKlooped1`;
  const looped = await failingCall(t, gw, {
    from: 'pbx', called: UC_NUMBER,
    replace: [['Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]', `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n      ${ownVia}`]],
  });
  t.equal(looped.status, 482, `our Via in the chain → 482 Loop Detected: ${sippText(looped.result)}`);

  t.equal(await metric(gw.metricsUrl, 'spangate_sip_invites_total', { result: 'too-many-hops' }), 1);
  t.equal(await metric(gw.metricsUrl, 'spangate_sip_invites_total', { result: 'loop' }), 1);
  t.equal(readCdrs(gw.cdrFile).length, 1, 'refused INVITEs never became calls');
});
