// CDR events: an app that routes cdr:* gets attempt/start/stop for a call the edge carries
// (srf's srf.on('cdr:…') handlers), with the role and the release reason.
import t from 'tap';
import { SipEdge } from '../../src/sip/edge/server.js';
import { SDP, disconnect, header, onVerb, rawPeer, request, srfApp, waitRouted, status } from '../unit/sip/edge/ua/sip-edge-peer.js';

type CdrFn = (...args: unknown[]) => void;

t.test('cdr:attempt, cdr:start (uas) and cdr:stop (normal-release)', async (t) => {
  const edge = new SipEdge({ sip: [{ proto: 'udp', host: '127.0.2.170', port: 0 }], control: { host: '127.0.0.1', port: 0, secret: 'cdr' } });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  const events: string[] = [];
  const srf = await srfApp(addr.controlPort, 'cdr', (s) => {
    onVerb(s, 'invite', (_req, res) => res.send(200, { body: SDP }));
    onVerb(s, 'bye', (_req, res) => res.send(200));
    const on = (s as unknown as { on(ev: string, fn: CdrFn): void }).on.bind(s);
    on('cdr:attempt', (source) => events.push(`attempt:${String(source)}`));
    on('cdr:start', (source, _time, role) => events.push(`start:${String(source)}:${String(role)}`));
    on('cdr:stop', (source, _time, reason) => events.push(`stop:${String(source)}:${String(reason)}`));
  });
  t.teardown(() => disconnect(srf));
  const peer = await rawPeer('127.0.2.171');
  t.teardown(() => peer.close());
  const target = { address: '127.0.2.170', port: addr.sip[0].port };
  await waitRouted(edge, ['invite', 'bye', 'cdr:attempt', 'cdr:start', 'cdr:stop']);
  peer.send(request('INVITE', peer, target, 'cdr-call', { body: SDP }), target.port, target.address);
  const ok = await peer.expect((m) => m.includes('cdr-call') && status(m) === 200, '200');
  const toTag = /;tag=([^;\s>]+)/.exec(header(ok, 'To') ?? '')?.[1];
  peer.send(request('ACK', peer, target, 'cdr-call', { toTag, branch: 'z9hG4bKcdrack' }), target.port, target.address);
  peer.send(request('BYE', peer, target, 'cdr-call', { cseq: 2, toTag }), target.port, target.address);
  await peer.expect((m) => m.includes('cdr-call') && /CSeq: 2 BYE/.test(m), '200 to BYE');
  const deadline = Date.now() + 10_000;
  while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.same(events, ['attempt:network', 'start:application:uas', 'stop:network:normal-release']);
});
