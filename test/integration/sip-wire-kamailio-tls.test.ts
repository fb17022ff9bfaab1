// TLS and mutual TLS against a real peer: Kamailio (Debian, tls module) with certificates made
// by openssl here. Kamailio's TLS server requires a client certificate: our transport with a
// CA-signed client cert gets its OPTIONS answered, one without is refused. The other way, our
// mutual-TLS listener accepts Kamailio relaying a request to us with its client certificate.
import t from 'tap';
import { execFileSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMessage, parseUri, serializeMessage, SipRequest, type SipResponse } from '../../src/sip/edge/message/index.js';
import { SipTransport, type TlsOptions } from '../../src/sip/edge/transport/index.js';
import { spawnTied } from '../../src/process/spawn-tied.js';
import { TransactionLayer, buildResponse, newTag, type ClientTransactionHandler, type ServerTransaction } from '../../src/sip/edge/transaction/index.js';

const EDGE = '127.0.2.1';
const KAM = '127.0.2.20';
const KAM_TLS = 42020;
const KAM_UDP = 42021;

function makePki(dir: string): void {
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=spangate kamailio test CA');
  for (const [name, cn, ip] of [['kam', 'kamailio.test', KAM], ['edge', 'edge.test', EDGE]]) {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=DNS:${cn},IP:${ip}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

function kamailioConfig(dir: string, edgeTlsPort: number): string {
  writeFileSync(
    join(dir, 'tls.cfg'),
    `[server:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n` +
      `private_key = ${dir}/kam.key\ncertificate = ${dir}/kam.crt\nca_list = ${dir}/ca.crt\n\n` +
      `[client:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n` +
      `private_key = ${dir}/kam.key\ncertificate = ${dir}/kam.crt\nca_list = ${dir}/ca.crt\n`,
  );
  const cfg = `#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:${KAM}:${KAM_UDP}
listen=tls:${KAM}:${KAM_TLS}
enable_tls=yes
loadmodule "tls.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "pv.so"
modparam("tls", "config", "${dir}/tls.cfg")
request_route {
  if ($rU == "kam") {
    sl_send_reply("200", "OK from Kamailio");
    exit;
  }
  $du = "sip:${EDGE}:${edgeTlsPort};transport=tls";
  force_send_socket(tls:${KAM}:${KAM_TLS});
  t_relay();
}
`;
  const f = join(dir, 'kamailio.cfg');
  writeFileSync(f, cfg);
  return f;
}

async function waitForPort(host: string, port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`kamailio exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('kamailio did not start listening');
}

t.test('mutual TLS with Kamailio in both directions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-kam-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makePki(dir);
  const pem = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const serverTls: TlsOptions = { cert: pem('edge.crt'), key: pem('edge.key'), ca: pem('ca.crt'), requireClientCert: true };

  // our edge: a mutual-TLS listener plus a TU answering OPTIONS
  const edge = new SipTransport({
    listen: [{ protocol: 'tls', address: EDGE, port: 0, tls: serverTls }],
    tlsClient: { ca: pem('ca.crt'), cert: pem('edge.crt'), key: pem('edge.key') },
  });
  await edge.start();
  const seenByEdge: Array<{ protocol: string; address: string }> = [];
  const layer = new TransactionLayer({
    transport: edge,
    timers: { t1: 100 },
    tu: {
      onRequest: (txn: ServerTransaction) => {
        seenByEdge.push({ protocol: txn.inbound.source.protocol, address: txn.inbound.source.address });
        txn.respond(buildResponse(txn.request, 200, 'OK from edge', newTag()));
      },
      onAck: () => {},
      onStrayResponse: () => {},
    },
  });
  edge.on('message', (m) => layer.receive(m));
  t.teardown(async () => {
    layer.close();
    await edge.close();
  });

  const child = spawnTied('kamailio', ['-DD', '-E', '-n', '1', '-m', '32', '-M', '8', '-Y', dir, '-f', kamailioConfig(dir, edge.boundListeners[0].port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20000)));
  t.teardown(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  });
  await waitForPort(KAM, KAM_TLS, child);

  const options = (to: string): SipRequest => {
    const r = new SipRequest('OPTIONS', parseUri(to));
    r.add('Max-Forwards', '70').add('From', `<sip:edge@${EDGE}>;tag=${newTag()}`).add('To', `<${to}>`);
    r.add('Call-ID', `${newTag()}@edge`).add('CSeq', '1 OPTIONS');
    return r;
  };
  const ask = (l: TransactionLayer, req: SipRequest): Promise<SipResponse | Error> =>
    new Promise((resolve) => {
      const h: ClientTransactionHandler = {
        onResponse: (r) => r.status >= 200 && resolve(r),
        onTimeout: () => resolve(new Error('timeout')),
        onTransportError: (_x, e) => resolve(e),
      };
      l.sendRequest(req, { protocol: 'tls', address: KAM, port: KAM_TLS, servername: 'kamailio.test' }, h);
    });

  t.test('we connect to Kamailio with our client certificate and get 200', async (t) => {
    const r = await ask(layer, options(`sip:kam@${KAM}:${KAM_TLS};transport=tls`));
    t.notOk(r instanceof Error, `answered: ${r instanceof Error ? r.message : r.status} ${log.slice(-1500)}`);
    if (!(r instanceof Error)) {
      t.equal(r.status, 200);
      t.equal(r.reason, 'OK from Kamailio');
    }
  });

  t.test('without a client certificate Kamailio refuses us', async (t) => {
    const anon = new SipTransport({ listen: [{ protocol: 'tls', address: '127.0.2.2', port: 0, tls: { cert: pem('edge.crt'), key: pem('edge.key') } }], tlsClient: { ca: pem('ca.crt') } });
    await anon.start();
    const anonLayer = new TransactionLayer({ transport: anon, timers: { t1: 50 }, tu: { onRequest: () => {}, onAck: () => {}, onStrayResponse: () => {} } });
    anon.on('message', (m) => anonLayer.receive(m));
    t.teardown(async () => {
      anonLayer.close();
      await anon.close();
    });
    const r = await ask(anonLayer, options(`sip:kam@${KAM}:${KAM_TLS};transport=tls`));
    t.ok(r instanceof Error, `refused (${r instanceof Error ? r.message : r.status})`);
  });

  t.test('Kamailio relays to our mutual-TLS listener with its client certificate', async (t) => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.2.3', r));
    t.teardown(() => sock.close());
    const req = options(`sip:edge@${KAM}:${KAM_UDP}`);
    req.prepend('Via', `SIP/2.0/UDP 127.0.2.3:${sock.address().port};branch=z9hG4bK${newTag()};rport`);
    const reply = once(sock, 'message');
    sock.send(serializeMessage(req), KAM_UDP, KAM);
    const [buf] = (await reply) as [Buffer];
    const res = parseMessage(buf) as SipResponse;
    t.equal(res.status, 200, log.slice(-1500));
    t.equal(res.reason, 'OK from edge');
    t.same(seenByEdge.at(-1), { protocol: 'tls', address: KAM });
    t.equal(edge.stats.tlsHandshakeFailures, 0);
  });
});
