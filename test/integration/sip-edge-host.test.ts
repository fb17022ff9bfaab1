// The edge off the main event loop, both ways (worker thread and child process): it starts,
// an srf app on the main thread answers OPTIONS through it, it reports stats and stops.
import t from 'tap';
import { SipEdgeHost, type EdgeMode } from '../../src/sip/edge/edge-host.js';
import { disconnect, onVerb, rawPeer, request, srfApp, status } from '../unit/sip/edge/ua/sip-edge-peer.js';

for (const mode of ['worker', 'child'] as EdgeMode[]) {
  t.test(`edge in a ${mode}`, async (t) => {
    const host = new SipEdgeHost({ mode, timeoutMs: 30_000 });
    t.teardown(() => host.stop());
    const addr = await host.start({
      sip: [{ proto: 'udp', host: '127.0.2.140', port: 0 }],
      control: { host: '127.0.0.1', port: 0, secret: 'host-test' },
    });
    t.ok(addr.controlPort > 0);
    const srf = await srfApp(addr.controlPort, 'host-test', (s) => onVerb(s, 'options', (_req, res) => res.send(200)));
    t.teardown(() => disconnect(srf));
    const peer = await rawPeer('127.0.2.141');
    t.teardown(() => peer.close());
    const target = { address: '127.0.2.140', port: addr.sip[0].port };
    // srf routes `options` right after authenticate; retry until the route is in.
    let res = '';
    for (let i = 0; i < 50 && status(res) !== 200; i++) {
      peer.send(request('OPTIONS', peer, target, `opt-${mode}-${i}`), target.port, target.address);
      res = await peer.expect((m) => m.includes(`opt-${mode}-${i}`) && status(m) >= 200, 'OPTIONS response');
    }
    t.equal(status(res), 200, 'OPTIONS answered by the app through the edge');
    const stats = await host.stats();
    t.ok(stats.received >= 1, 'stats come back from the edge');
    t.equal(stats.appConnections, 1);
    disconnect(srf);
    await host.stop();
    await t.rejects(host.stats(), 'no stats after stop');
  });
}
