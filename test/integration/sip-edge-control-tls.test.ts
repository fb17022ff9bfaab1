// The control socket over TLS: srf connects with `tls` options and routes/answers as usual.
// A plain port beside it serves srf's reconnects (which are always plain TCP).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import Srf from 'drachtio-srf';
import { SipEdge } from '../../src/sip/edge/server.js';
import { disconnect, onVerb, rawPeer, request, status, type SrfApp } from '../unit/sip/edge/ua/sip-edge-peer.js';

t.test('srf over TLS to the control port', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-ctl-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const edge = new SipEdge({
    sip: [{ proto: 'udp', host: '127.0.2.172', port: 0 }],
    control: { host: '127.0.0.1', port: 0, secret: 'tls-secret', tls: { key: readFileSync(join(dir, 'key.pem')), cert }, plainPort: 0 },
  });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  t.ok(addr.controlPlainPort, 'plain port bound beside the TLS one');

  const srf: SrfApp = new Srf();
  onVerb(srf, 'options', (_req, res) => res.send(200));
  const connected = once(srf as unknown as NodeJS.EventEmitter, 'connect');
  srf.connect({ host: '127.0.0.1', port: addr.controlPort, secret: 'tls-secret', tls: { ca: cert } } as Srf.SrfConfig);
  const [err, hostport] = await connected;
  t.teardown(() => disconnect(srf));
  t.notOk(err, 'authenticated over TLS');
  t.match(String(hostport), /^udp\/127\.0\.2\.172:\d+$/);

  const peer = await rawPeer('127.0.2.173');
  t.teardown(() => peer.close());
  const target = { address: '127.0.2.172', port: addr.sip[0].port };
  let res = '';
  for (let i = 0; i < 50 && status(res) !== 200; i++) {
    peer.send(request('OPTIONS', peer, target, `tls-opt-${i}`), target.port, target.address);
    res = await peer.expect((m) => m.includes(`tls-opt-${i}`) && status(m) >= 200, 'OPTIONS response');
  }
  t.equal(status(res), 200, 'requests reach the app over the TLS control connection');
});
