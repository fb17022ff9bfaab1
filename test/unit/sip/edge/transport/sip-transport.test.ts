// The transport over real loopback sockets: UDP, TCP (split and coalesced segments), TLS and
// mutual TLS with certificates made by openssl here, rport/received, 400 for bad requests.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { parseMessage, SipRequest, SipResponse, type AnySipMessage } from '../../../../../src/sip/edge/message/index.js';
import { SipTransport, type InboundMessage, type ListenSpec } from '../../../../../src/sip/edge/transport/index.js';

const HOST = '127.0.2.1';

function request(branch: string, transport = 'UDP', extra = ''): Buffer {
  const body = 'v=0\r\n';
  return Buffer.from(
    `OPTIONS sip:edge@${HOST} SIP/2.0\r\nVia: SIP/2.0/${transport} 192.0.2.99:5999;branch=${branch};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:t@example.com>;tag=1\r\nTo: <sip:edge@example.com>\r\nCall-ID: ${branch}@test\r\nCSeq: 1 OPTIONS\r\n${extra}` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
}

async function started(t: { teardown(fn: () => unknown): void }, listen: ListenSpec[], opts: Partial<ConstructorParameters<typeof SipTransport>[0]> = {}): Promise<SipTransport> {
  const tr = new SipTransport({ listen, ...opts });
  await tr.start();
  t.teardown(() => tr.close());
  return tr;
}

function nextMessage(tr: SipTransport): Promise<InboundMessage> {
  return once(tr, 'message').then(([m]) => m as InboundMessage);
}

function okFor(req: SipRequest): SipResponse {
  const res = new SipResponse(200, 'OK');
  for (const v of req.getAll('via')) res.add('Via', v);
  res.add('From', req.get('from')!).add('To', req.get('to')! + ';tag=srv').add('Call-ID', req.callId).add('CSeq', req.get('cseq')!);
  return res;
}

t.test('UDP: receive with received/rport, answer to rport, 400 for garbage requests', async (t) => {
  const tr = await started(t, [{ protocol: 'udp', address: HOST, port: 0 }]);
  const port = tr.boundListeners[0].port;
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, HOST, r));
  t.teardown(() => client.close());
  const cport = client.address().port;
  const got = nextMessage(tr);
  client.send(request('z9hG4bKudp1'), port, HOST);
  const m = await got;
  t.ok(m.message instanceof SipRequest);
  t.same(m.source, { protocol: 'udp', address: HOST, port: cport });
  t.equal(m.message.topVia?.received, HOST);
  t.equal(m.message.topVia?.rport, cport);
  t.equal(m.message.body.toString(), 'v=0\r\n');
  const reply = once(client, 'message');
  tr.sendResponse(okFor(m.message as SipRequest), m);
  const [buf] = (await reply) as [Buffer];
  const res = parseMessage(buf) as SipResponse;
  t.equal(res.status, 200);
  t.equal(res.topVia?.rport, cport, 'response routed to received:rport');

  // a malformed request gets a 400 and the next valid message is served
  const bad = once(client, 'message');
  const perr = once(tr, 'parse-error');
  client.send(Buffer.from(request('z9hG4bKbad').toString().replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE')), port, HOST);
  const [badBuf] = (await bad) as [Buffer];
  const r400 = parseMessage(badBuf) as SipResponse;
  t.equal(r400.status, 400);
  t.ok(r400.to.tag, 'stateless 400 carries a To tag');
  t.equal(r400.callId, 'z9hG4bKbad@test');
  await perr;
  const after = nextMessage(tr);
  client.send(request('z9hG4bKudp2'), port, HOST);
  t.equal((await after).message.topVia?.branch, 'z9hG4bKudp2');
  // a bad response is dropped and counted, nothing is sent back
  client.send(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKq\r\n\r\n'), port, HOST);
  await once(tr, 'parse-error');
  t.equal(tr.stats.badResponsesDropped, 1);
  t.equal(tr.stats.badRequestsAnswered, 1);
});

t.test('TCP: framing over split and coalesced segments, responses on the same connection, reuse', async (t) => {
  const tr = await started(t, [{ protocol: 'tcp', address: HOST, port: 0 }]);
  const port = tr.boundListeners[0].port;
  const sock = net.connect({ host: HOST, port });
  await once(sock, 'connect');
  t.teardown(() => sock.destroy());
  sock.setNoDelay(true);
  const received: InboundMessage[] = [];
  tr.on('message', (m) => received.push(m));
  const a = request('z9hG4bKtcp1', 'TCP');
  const b = request('z9hG4bKtcp2', 'TCP');
  const c = request('z9hG4bKtcp3', 'TCP');
  // split a across three writes, then b and c coalesced in one write with a keep-alive ping between
  sock.write(a.subarray(0, 10));
  await new Promise((r) => setImmediate(r));
  sock.write(a.subarray(10, 100));
  await new Promise((r) => setImmediate(r));
  sock.write(Buffer.concat([a.subarray(100), Buffer.from('\r\n\r\n'), b, c.subarray(0, c.length - 2)]));
  const pong = once(sock, 'data');
  sock.write(c.subarray(c.length - 2));
  while (received.length < 3) await once(tr, 'message');
  t.same(received.map((m) => m.message.topVia?.branch), ['z9hG4bKtcp1', 'z9hG4bKtcp2', 'z9hG4bKtcp3']);
  t.equal((await pong)[0].toString(), '\r\n', 'CRLFCRLF ping answered with CRLF pong');
  t.ok(received.every((m) => m.connectionId === received[0].connectionId));
  const replies: AnySipMessage[] = [];
  let pending = Buffer.alloc(0);
  const collect = (d: Buffer): void => {
    pending = Buffer.concat([pending, d]);
    const end = pending.indexOf('\r\n\r\n');
    if (end >= 0) {
      replies.push(parseMessage(pending.subarray(0, end + 4)));
      pending = pending.subarray(end + 4);
      sock.off('data', collect);
    }
  };
  sock.on('data', collect);
  tr.sendResponse(okFor(received[0].message as SipRequest), received[0]);
  while (replies.length < 1) await once(sock, 'data');
  t.equal((replies[0] as SipResponse).status, 200);
  // a request to the client's address reuses the inbound connection (no new connection)
  const before = tr.stats.connectionsOpened;
  const dataSeen = once(sock, 'data');
  tr.send(request('z9hG4bKout', 'TCP'), received[0].source);
  await dataSeen;
  t.equal(tr.stats.connectionsOpened, before);
  // a stream without Content-Length is a framing error and closes the connection
  const closed = once(sock, 'close');
  sock.write('OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKn\r\n\r\n');
  await closed;
  t.equal(tr.stats.framingErrors, 1);
});

t.test('TCP outbound: connects, reuses the connection, reports connect failure', async (t) => {
  const a = await started(t, [{ protocol: 'tcp', address: HOST, port: 0 }]);
  const b = await started(t, [{ protocol: 'tcp', address: '127.0.2.2', port: 0 }]);
  const bport = b.boundListeners[0].port;
  const got = nextMessage(b);
  a.send(request('z9hG4bKo1', 'TCP'), { protocol: 'tcp', address: '127.0.2.2', port: bport });
  const m = await got;
  t.equal(m.source.address, HOST, 'outbound connection bound to the listener address');
  const got2 = nextMessage(b);
  a.send(request('z9hG4bKo2', 'TCP'), { protocol: 'tcp', address: '127.0.2.2', port: bport });
  t.equal((await got2).connectionId, m.connectionId, 'same connection reused');
  t.equal(a.stats.connectionsOpened, 1);
  // response back over the connection b accepted
  const back = nextMessage(a);
  b.sendResponse(okFor(m.message as SipRequest), m);
  t.equal(((await back).message as SipResponse).status, 200);
  // nobody listens here: the error callback fires once
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.2.3', r));
  const deadPort = (dead.address() as net.AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const err = await new Promise<Error>((resolve) => a.send(request('z9hG4bKo3', 'TCP'), { protocol: 'tcp', address: '127.0.2.3', port: deadPort }, resolve));
  t.match(err.message, /ECONNREFUSED|closed/);
});

// --- TLS ------------------------------------------------------------------------------

function makePki(dir: string): Record<string, string> {
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=spangate test CA');
  for (const [name, cn] of [['server', 'edge.test'], ['client', 'client.test']]) {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:${cn},IP:${HOST}\\n' > ${name}.ext`], { cwd: dir });
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
  const r: Record<string, string> = {};
  for (const f of ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key']) r[f] = readFileSync(join(dir, f), 'utf8');
  return r;
}

t.test('TLS and mutual TLS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);

  t.test('server-authenticated TLS between two transports', async (t) => {
    const srv = await started(t, [{ protocol: 'tls', address: HOST, port: 0, tls: { cert: pki['server.crt'], key: pki['server.key'] } }]);
    const cli = await started(t, [{ protocol: 'tls', address: '127.0.2.4', port: 0, tls: { cert: pki['server.crt'], key: pki['server.key'] } }], {
      tlsClient: { ca: pki['ca.crt'] },
    });
    const got = nextMessage(srv);
    cli.send(request('z9hG4bKtls1', 'TLS'), { protocol: 'tls', address: HOST, port: srv.boundListeners[0].port }, (e) => t.fail(e.message), { servername: 'edge.test' });
    const m = await got;
    t.equal(m.source.protocol, 'tls');
    const back = nextMessage(cli);
    srv.sendResponse(okFor(m.message as SipRequest), m);
    t.equal(((await back).message as SipResponse).status, 200);
    // an untrusted server certificate is refused by the client
    const strict = await started(t, [{ protocol: 'tls', address: '127.0.2.5', port: 0, tls: { cert: pki['server.crt'], key: pki['server.key'] } }]);
    const err = await new Promise<Error>((resolve) =>
      strict.send(request('z9hG4bKtls2', 'TLS'), { protocol: 'tls', address: HOST, port: srv.boundListeners[0].port }, resolve, { servername: 'edge.test' }),
    );
    t.match(err.message, /certificate/i);
  });

  t.test('mutual TLS: client with a CA-signed cert accepted, client without cert refused', async (t) => {
    const srv = await started(t, [
      { protocol: 'tls', address: HOST, port: 0, tls: { cert: pki['server.crt'], key: pki['server.key'], ca: pki['ca.crt'], requireClientCert: true } },
    ]);
    const port = srv.boundListeners[0].port;
    const good = tls.connect({ host: HOST, port, ca: pki['ca.crt'], cert: pki['client.crt'], key: pki['client.key'], servername: 'edge.test' });
    t.teardown(() => good.destroy());
    await once(good, 'secureConnect');
    const got = nextMessage(srv);
    good.write(request('z9hG4bKmtls', 'TLS'));
    t.equal((await got).message.topVia?.branch, 'z9hG4bKmtls');

    const anon = tls.connect({ host: HOST, port, ca: pki['ca.crt'], servername: 'edge.test' });
    t.teardown(() => anon.destroy());
    anon.on('error', () => {});
    anon.on('secureConnect', () => anon.write(request('z9hG4bKanon', 'TLS')));
    let leaked = false;
    srv.on('message', (m) => {
      if (m.message.topVia?.branch === 'z9hG4bKanon') leaked = true;
    });
    await new Promise((resolve) => anon.on('close', resolve));
    t.notOk(leaked, 'no message accepted from a client without certificate');
    t.ok(srv.stats.tlsHandshakeFailures >= 1, 'handshake failure counted');
  });
});

t.test('multi-homed UDP: the response leaves from the socket the request came in on; IPv6', async (t) => {
  const tr = await started(t, [
    { protocol: 'udp', address: HOST, port: 0 },
    { protocol: 'udp', address: '127.0.2.6', port: 0 },
    { protocol: 'udp', address: '::1', port: 0 },
  ]);
  const [, second, v6] = tr.boundListeners;
  t.equal(v6.host, '[::1]', 'IPv6 sent-by is bracketed');
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.2.7', r));
  t.teardown(() => client.close());
  const got = nextMessage(tr);
  client.send(request('z9hG4bKmh1'), second.port, second.address);
  const m = await got;
  t.equal(m.local.address, '127.0.2.6');
  const reply = once(client, 'message');
  tr.sendResponse(okFor(m.message as SipRequest), m);
  const [, rinfo] = (await reply) as [Buffer, dgram.RemoteInfo];
  t.equal(rinfo.address, '127.0.2.6');
  t.equal(rinfo.port, second.port);
  const c6 = dgram.createSocket('udp6');
  await new Promise<void>((r) => c6.bind(0, '::1', r));
  t.teardown(() => c6.close());
  const got6 = nextMessage(tr);
  c6.send(request('z9hG4bKv6'), v6.port, '::1');
  const m6 = await got6;
  t.same(m6.source, { protocol: 'udp', address: '::1', port: c6.address().port });
  t.equal(m6.message.topVia?.received, '::1');
  const reply6 = once(c6, 'message');
  tr.sendResponse(okFor(m6.message as SipRequest), m6);
  const [buf6] = (await reply6) as [Buffer];
  t.equal((parseMessage(buf6) as SipResponse).status, 200);
});

t.test('maxConnections refuses inbound connections beyond the limit', async (t) => {
  const tr = await started(t, [{ protocol: 'tcp', address: HOST, port: 0 }], { maxConnections: 1 });
  const port = tr.boundListeners[0].port;
  const a = net.connect({ host: HOST, port });
  t.teardown(() => a.destroy());
  await once(a, 'connect');
  const got = nextMessage(tr);
  a.write(request('z9hG4bKmc1', 'TCP'));
  await got;
  const b = net.connect({ host: HOST, port });
  b.on('error', () => {});
  t.teardown(() => b.destroy());
  await new Promise((resolve) => b.on('close', resolve));
  t.equal(tr.connectionCount, 1, 'the second connection was dropped');
});

t.test('TCP: a well-framed but invalid request gets 400 on its connection, which stays open', async (t) => {
  const tr = await started(t, [{ protocol: 'tcp', address: HOST, port: 0 }]);
  const port = tr.boundListeners[0].port;
  const sock = net.connect({ host: HOST, port });
  t.teardown(() => sock.destroy());
  await once(sock, 'connect');
  const reply = once(sock, 'data');
  sock.write(Buffer.from(request('z9hG4bKtcpbad', 'TCP').toString().replace('SIP/2.0\r\n', 'SIP/3.0\r\n')));
  const [buf] = (await reply) as [Buffer];
  const res = parseMessage(buf, { stream: true }) as SipResponse;
  t.equal(res.status, 505, 'unsupported version answered 505');
  t.equal(res.topVia?.branch, 'z9hG4bKtcpbad');
  const got = nextMessage(tr);
  sock.write(request('z9hG4bKtcpgood', 'TCP'));
  t.equal((await got).message.topVia?.branch, 'z9hG4bKtcpgood', 'the connection still serves');
});

t.test('a throwing message listener is caught; the next message is served', async (t) => {
  const tr = await started(t, [{ protocol: 'udp', address: HOST, port: 0 }]);
  const port = tr.boundListeners[0].port;
  let calls = 0;
  tr.on('message', () => {
    calls++;
    if (calls === 1) throw new TypeError('TU bug');
  });
  const reported = once(tr, 'handler-error');
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, HOST, r));
  t.teardown(() => client.close());
  client.send(request('z9hG4bKthrow1'), port, HOST);
  const [ev] = (await reported) as [{ error: unknown }];
  t.ok(ev.error instanceof TypeError);
  const got = nextMessage(tr);
  client.send(request('z9hG4bKthrow2'), port, HOST);
  t.equal((await got).message.topVia?.branch, 'z9hG4bKthrow2');
  t.equal(tr.stats.handlerErrors, 1);
});
