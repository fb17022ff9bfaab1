// Certificate rotation without a restart: the daemon's TLS listener serves certificate A; the
// files at the configured paths are replaced by certificate B and the daemon gets SIGHUP: new
// handshakes get B while a connection opened before keeps working; a key that does not match
// its certificate is refused on the next reload (logged) and B stays in use.
import { copyFileSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { DaemonProcess, daemonFiles } from '../fixtures/daemon.js';
import { issueCert, makePki } from '../fixtures/pki.js';
import { sipPorts } from '../fixtures/sip.js';
import { TlsSipClient, optionsOverTls } from '../fixtures/sip-tls-client.js';

const GW = '127.0.27.12';
const PEER = '127.0.27.13';

const serialOf = (file: string): string => new X509Certificate(readFileSync(file)).serialNumber;

for (const runIn of ['worker', 'child'] as const) t.test(`SIGHUP reloads the TLS certificate (edge in a ${runIn}): new handshakes get the new one, open connections stay`, async (t) => {
  const f = daemonFiles(t, { daemon: { drainTimeoutMs: 5_000 } });
  makePki(f.dir, [['a', 'gw.test', GW], ['b', 'gw.test', GW]]);
  const [cert, key] = [join(f.dir, 'gw.crt'), join(f.dir, 'gw.key')];
  copyFileSync(join(f.dir, 'a.crt'), cert);
  copyFileSync(join(f.dir, 'a.key'), key);
  const d = DaemonProcess.start(t, ['run', '--config', f.config], {
    SPANGATE_SIP_LISTEN: JSON.stringify([{ proto: 'udp', host: GW, port: 0 }, { proto: 'tls', host: GW, port: 0 }]),
    SPANGATE_SIP_TLS_CERT: cert,
    SPANGATE_SIP_TLS_KEY: key,
    SPANGATE_SIP_TLS_CA: join(f.dir, 'ca.crt'),
    SPANGATE_SIP_EDGE_RUN_IN: runIn,
  });
  const port = sipPorts(await d.waitForEvent('ready')).tls!;
  const ca = readFileSync(join(f.dir, 'ca.crt'));

  const before = new TlsSipClient(GW, port, PEER, { ca });
  t.teardown(() => before.close());
  t.match((await before.options()).response, /^SIP\/2\.0 200 OK/, 'OPTIONS over TLS with certificate A');
  t.equal(before.peerSerial, serialOf(join(f.dir, 'a.crt')), 'the listener presents A');

  // Rotation as certbot & co. do it: new files at the same paths, then a reload.
  copyFileSync(join(f.dir, 'b.crt'), cert);
  copyFileSync(join(f.dir, 'b.key'), key);
  d.kill('SIGHUP');
  const reloaded = await d.waitForEvent('sip-tls-reloaded');
  t.match(reloaded.certificate, /CN=gw\.test, valid until \d{4}-/, `logged: ${String(reloaded.certificate)}`);
  const after = new TlsSipClient(GW, port, PEER, { ca });
  t.teardown(() => after.close());
  t.match((await after.options()).response, /^SIP\/2\.0 200 OK/, 'OPTIONS over a new connection');
  t.equal(after.peerSerial, serialOf(join(f.dir, 'b.crt')), 'a new handshake gets B');
  t.match((await before.options()).response, /^SIP\/2\.0 200 OK/, 'the connection opened before the reload still carries requests');

  // A key that does not belong to the certificate: refused, B stays.
  issueCert(f.dir, 'c', 'gw.test', GW);
  copyFileSync(join(f.dir, 'c.key'), key);
  d.kill('SIGHUP');
  const failed = await d.waitForEvent('sip-tls-reload-failed');
  t.match(failed.reason, /key|certificate/i, `logged: ${String(failed.reason)}`);
  const still = await optionsOverTls(GW, port, PEER, { ca });
  t.match(still.response, /^SIP\/2\.0 200 OK/, `handshakes still work with B (${still.error ?? ''})`);

  d.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});
