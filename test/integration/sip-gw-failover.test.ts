// OPTIONS-driven failover and recovery: the UC trunk has two peers (primary, secondary), both
// answering OPTIONS (every 1 s here). The primary stops: its address goes mute (a socket that
// counts what arrives and answers nothing), its OPTIONS time out, and the next call goes
// straight to the secondary: no INVITE reaches the mute primary. The primary comes back
// (sipp again, answering OPTIONS): once its OPTIONS are answered, calls go to it again.
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import type { SippPeer } from '../../src/cli/demo/sipp-peer.js';
import { sippText, startSipp, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { PORTS, slot, waitUntil, type Gateway } from './support/gateway.js';
import { RtpPeer } from './support/rtp.js';
import { waitCdrs } from './support/records.js';

const OPTIONS = { intervalS: 1, timeoutMs: 500, downAfter: 1, upAfter: 1 };

/** A peer that stopped: binds its address and counts requests by method, answering none. */
async function mutePeer(t: { teardown(fn: () => void): void }, ip: string, port: number): Promise<{ seen: Map<string, number>; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const seen = new Map<string, number>();
  sock.on('message', (m) => {
    const method = /^([A-Z]+) sip:/.exec(m.toString('latin1'))?.[1];
    if (method) seen.set(method, (seen.get(method) ?? 0) + 1);
  });
  await waitUntil(() => new Promise<boolean>((r) => { sock.once('error', () => r(false)); sock.bind(port, ip, () => r(true)); }), `bind ${ip}:${port}`, 10_000);
  const close = (): void => { try { sock.close(); } catch { /* closed */ } };
  t.teardown(close);
  return { seen, close };
}

async function callTo(t: Test, gw: Gateway, peer: SippPeer): Promise<void> {
  const rtp = await RtpPeer.open(t, gw.addr.gw);
  const caller = await startSipp(t, {
    scenario: 'uac-call.xml', ip: gw.addr.pbx, port: PORTS.uac, target: gw.sipTarget, calls: 1, called: UC_NUMBER, pauseMs: 1000,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(rtp.port) },
  });
  const before = peer.count('media');
  const r = await caller.done;
  t.equal(r.code, 0, `call answered: ${sippText(r)}`);
  t.equal(peer.count('media'), before + 1, `the INVITE reached ${peer.opts.ip}`);
}

t.test('primary stops → OPTIONS fail → calls go to the secondary; primary returns → calls go back', async (t) => {
  const addr = slot(12);
  const peer = (ip: string): Promise<SippPeer> => startSipp(t, { scenario: 'uas-answer.xml', ip, port: PORTS.uas, sets: { ring_ms: '100' }, timeoutS: 200 });
  const primary = await peer(addr.uc);
  const secondary = await peer(addr.uc2);
  const gw = await twoTrunkGateway(t, 12, { uc: { options: OPTIONS, addresses: [`${addr.uc}:${PORTS.uas}`, `${addr.uc2}:${PORTS.uas}`] } });
  await waitUntil(() => primary.count('options') >= 2 && secondary.count('options') >= 2, 'OPTIONS answered by both peers');
  await callTo(t, gw, primary);

  await primary.stop();
  const mute = await mutePeer(t, addr.uc, PORTS.uas);
  // Two OPTIONS at the mute address: the first has timed out (timeoutMs < intervalS), so
  // with downAfter 1 the primary is down.
  await waitUntil(() => (mute.seen.get('OPTIONS') ?? 0) >= 2, 'OPTIONS to the stopped primary');
  await callTo(t, gw, secondary);
  t.equal(mute.seen.get('INVITE') ?? 0, 0, 'no INVITE was sent to the demoted primary');

  mute.close();
  const back = await peer(addr.uc);
  await waitUntil(() => back.count('options') >= 2, 'OPTIONS answered by the returned primary');
  const atSecondary = secondary.count('media');
  await callTo(t, gw, back);
  t.equal(secondary.count('media'), atSecondary, 'the secondary got no call after the recovery');
  const rows = await waitCdrs(gw.cdrFile, 3);
  t.ok(rows.every((r) => r.disposition === 'answered' && r.b?.trunk === 'uc'), 'three answered calls on trunk uc');
});
