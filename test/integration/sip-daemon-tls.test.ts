// A TLS listener from config (sip.edge.tls cert/key/CA, mutual TLS, TLSv1.2 minimum): a node TLS
// client with a certificate from the CA gets 200 to OPTIONS; one without a certificate and one
// offering only TLSv1.1 are refused in the handshake (counted in /metrics).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DaemonProcess, WAIT_MS, daemonFiles, httpGet, runCli } from '../fixtures/daemon.js';
import { makePki } from '../fixtures/pki.js';
import { sipPorts } from '../fixtures/sip.js';
import { optionsOverTls } from '../fixtures/sip-tls-client.js';

const GW = '127.0.21.12';
const PEER = '127.0.21.13';

t.test('mutual TLS listener answers OPTIONS; clients without a certificate or with old TLS are refused', async (t) => {
  const f = daemonFiles(t, { daemon: { drainTimeoutMs: 5_000 } });
  makePki(f.dir, [['gw', 'gw.test', GW], ['peer', 'peer.test', PEER]]);
  const d = DaemonProcess.start(t, ['run', '--config', f.config], {
    SPANGATE_SIP_LISTEN: JSON.stringify([{ proto: 'udp', host: GW, port: 0 }, { proto: 'tls', host: GW, port: 0 }]),
    SPANGATE_SIP_TLS_CERT: join(f.dir, 'gw.crt'),
    SPANGATE_SIP_TLS_KEY: join(f.dir, 'gw.key'),
    SPANGATE_SIP_TLS_CA: join(f.dir, 'ca.crt'),
    SPANGATE_SIP_TLS_VERIFY_CLIENT: 'true',
  });
  const ready = await d.waitForEvent('ready');
  const port = sipPorts(ready).tls!;
  t.ok(port > 0, `TLS listener on ${port}`);
  const ca = readFileSync(join(f.dir, 'ca.crt'));

  const good = await optionsOverTls(GW, port, PEER, { ca, cert: readFileSync(join(f.dir, 'peer.crt')), key: readFileSync(join(f.dir, 'peer.key')) });
  t.match(good.response, /^SIP\/2\.0 200 OK\r\n/, `OPTIONS over mutual TLS: 200 (${good.error ?? ''})`);
  t.match(good.response, /\r\nAllow: INVITE, ACK, BYE/);

  const noCert = await optionsOverTls(GW, port, PEER, { ca });
  t.notOk(noCert.response?.startsWith('SIP/2.0 200'), `no client certificate: refused (${noCert.error ?? noCert.response})`);
  const oldTls = await optionsOverTls(GW, port, PEER, { ca, cert: readFileSync(join(f.dir, 'peer.crt')), key: readFileSync(join(f.dir, 'peer.key')), minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
  t.ok(oldTls.error, `TLSv1.1 only: handshake refused (${oldTls.error})`);

  const show = await runCli(['show', 'sip', '--socket', f.socket]);
  t.match(show.stdout, `listen tls ${GW}:${port}`);
  const metrics = (await httpGet(`${ready.metricsUrl as string}/metrics`)).body;
  const failures = Number(/^spangate_sip_tls_handshake_failures_total (\d+)$/m.exec(metrics)?.[1] ?? -1);
  t.ok(failures >= 1, `failed handshakes counted (${failures})`);

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});
