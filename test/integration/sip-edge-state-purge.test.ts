// Memory stays bounded: after a mix of calls through the edge (answered and hung up both ways,
// rejected, cancelled, never ACKed, a merged request, OPTIONS, an app-originated call) and once
// every timer has run out on the injected clock, every map of the edge is empty again.
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { ManualClock } from '../../src/sip/edge/transaction/index.js';
import { SDP, disconnect, onVerb, rawPeer, request, srfApp, status } from '../unit/sip/edge/ua/sip-edge-peer.js';

const tagOf = (m: string): string | undefined => /^To:.*;tag=([^;\s>]+)/im.exec(m)?.[1];
const final = (id: string, method = 'INVITE') => (m: string): boolean =>
  m.includes(`Call-ID: ${id}`) && status(m) >= 200 && m.includes(` ${method}\r\n`);

interface UacDialog { destroy(): Promise<void> }
type CreateUac = (uri: string, opts: { localSdp: string }) => Promise<UacDialog>;

const STATE_KEYS = [
  'dialogs', 'dialogKeys', 'serverTransactions', 'clientTransactions', 'earlyUac', 'pendingRequests',
  'layerServerTransactions', 'layerClientTransactions', 'layerMergeKeys', 'proxyJobs', 'proxyPins',
];

t.test('every map empties once calls end and the timers run out', async (t) => {
  const N = 20;
  const clock = new ManualClock();
  const edge = new SipEdge({ sip: [{ proto: 'udp', host: '127.0.28.20', port: 0 }], control: { host: '127.0.0.1', port: 0, secret: 'pg' }, clock });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const target = { address: '127.0.28.20', port: addr.sip[0].port };
  const srf = await srfApp(addr.controlPort, 'pg', (s) => {
    onVerb(s, 'invite', (req, res) => {
      const id = req.get('Call-ID');
      if (id.startsWith('busy')) res.send(486);
      else if (!id.startsWith('hold')) res.send(200, { body: SDP });
    });
    onVerb(s, 'bye', (_req, res) => res.send(200));
    onVerb(s, 'options', (_req, res) => res.send(200));
  });
  t.teardown(() => disconnect(srf));
  const peer = await rawPeer('127.0.28.21');
  t.teardown(() => peer.close());
  const send = (m: string): void => peer.send(m, target.port, target.address);
  send(request('OPTIONS', peer, target, 'warm'));
  await peer.expect(final('warm', 'OPTIONS'), 'OPTIONS answered by the app');

  // N answered calls: INVITE → 200 → ACK → BYE → 200
  for (let i = 0; i < N; i++) {
    const id = `call-${i}`;
    send(request('INVITE', peer, target, id, { body: SDP }));
    const ok = await peer.expect(final(id), `200 for ${id}`);
    t.equal(status(ok), 200);
    send(request('ACK', peer, target, id, { toTag: tagOf(ok), branch: `z9hG4bKack${i}` }));
    send(request('BYE', peer, target, id, { cseq: 2, toTag: tagOf(ok) }));
    t.equal(status(await peer.expect(final(id, 'BYE'), `200 to BYE ${id}`)), 200);
  }
  // rejected (486 + ACK for the non-2xx)
  send(request('INVITE', peer, target, 'busy', { body: SDP, branch: 'z9hG4bKbusy' }));
  const busy = await peer.expect(final('busy'), '486');
  send(request('ACK', peer, target, 'busy', { toTag: tagOf(busy), branch: 'z9hG4bKbusy' }));
  // cancelled while the app holds it, plus a merged copy of it
  send(request('INVITE', peer, target, 'hold', { body: SDP, branch: 'z9hG4bKhold' }));
  await peer.expect((m) => m.includes('Call-ID: hold') && status(m) === 100, '100');
  send(request('INVITE', peer, target, 'hold', { body: SDP, branch: 'z9hG4bKhold2' }));
  t.equal(status(await peer.expect(final('hold'), '482')), 482);
  send(request('CANCEL', peer, target, 'hold', { branch: 'z9hG4bKhold' }));
  const cancelled = await peer.expect((m) => final('hold')(m) && status(m) === 487, '487');
  send(request('ACK', peer, target, 'hold', { toTag: tagOf(cancelled), branch: 'z9hG4bKhold' }));
  // answered, never ACKed: the edge retransmits the 200, then BYEs (ACK timeout); the peer answers it
  send(request('INVITE', peer, target, 'noack', { body: SDP }));
  await peer.expect(final('noack'), '200 never ACKed');
  // an app-originated call, hung up by the app
  const createUAC = (srf as unknown as { createUAC: CreateUac }).createUAC.bind(srf);
  const uac = createUAC(`sip:peer@${peer.address}:${peer.port}`, { localSdp: SDP });
  const inv = await peer.expect((m) => m.startsWith('INVITE '), 'INVITE from the app');
  const via = /^Via: (.*)$/m.exec(inv)?.[1] ?? '';
  const pick = (n: string): string => new RegExp(`^${n}: (.*)$`, 'm').exec(inv)?.[1] ?? '';
  const answer = (st: string, m: string, tag: string, body = ''): string =>
    [`SIP/2.0 ${st}`, `Via: ${/^Via: (.*)$/m.exec(m)?.[1]}`, `From: ${/^From: (.*)$/m.exec(m)?.[1]}`,
      `To: ${/^To: (.*)$/m.exec(m)?.[1]}${/^To: .*;tag=/m.test(m) ? '' : `;tag=${tag}`}`, `Call-ID: ${/^Call-ID: (.*)$/m.exec(m)?.[1]}`,
      `CSeq: ${/^CSeq: (.*)$/m.exec(m)?.[1]}`, `Contact: <sip:peer@${peer.address}:${peer.port}>`,
      ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  t.ok(via && pick('Call-ID'));
  send(answer('200 OK', inv, 'uactag', SDP));
  const dlg = await uac;
  await peer.expect((m) => m.startsWith('ACK ') && m.includes(pick('Call-ID')), 'ACK from the app');
  const byeDone = dlg.destroy();
  const bye = await peer.expect((m) => m.startsWith('BYE ') && m.includes(pick('Call-ID')), 'BYE from the app');
  send(answer('200 OK', bye, 'uactag'));
  await byeDone;

  const stats = (): Record<string, number> => {
    const s = edge.stats();
    return Object.fromEntries(STATE_KEYS.map((k) => [k, s[k]]));
  };
  t.ok(stats().layerServerTransactions > 0 && stats().dialogs > 0, `state held while timers run: ${JSON.stringify(stats())}`);

  // Let every timer run out: 2xx retransmission and Timer H of the un-ACKed call (then its BYE,
  // answered by the peer), Timers I/J/L/K/D/M, the UA's 64·T1 holds. Steps, so work queued on
  // promises between timers (the ACK-timeout BYE) gets its turn.
  let byeAnswered = false;
  for (let step = 0; step < 40; step++) {
    clock.advance(5000);
    await new Promise((r) => setImmediate(r));
    if (!byeAnswered) {
      const timeoutBye = peer.received.find((m) => m.startsWith('BYE ') && m.includes('Call-ID: noack'));
      if (timeoutBye) {
        byeAnswered = true;
        send(answer('200 OK', timeoutBye, ''));
        await peer.expect((m) => m.startsWith('BYE ') && m.includes('Call-ID: noack'), 'BYE after ACK timeout');
      }
    }
  }
  t.ok(byeAnswered, 'the un-ACKed call was BYEd after Timer H');
  t.same(stats(), Object.fromEntries(STATE_KEYS.map((k) => [k, 0])), 'every map is empty');
  t.equal(clock.pending, 0, 'no SIP timer left');
});
