// Fuzzing the SIP edge: mutated and truncated messages (RFC 4475 torture set plus fixtures)
// through the parser, the stream framer and a live UDP/TCP transport with a transaction layer.
// Properties: only SipParseError/FramingError ever escape, anything that parses re-serialises
// to something that parses, the live process keeps serving the next valid message, and heap
// use stays bounded. Seed and iteration count: SG_FUZZ_SEED, SG_FUZZ_ITERATIONS.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { parseMessage, serializeMessage, SipParseError } from '../../src/sip/edge/message/index.js';
import { FramingError, SipTransport, StreamFramer, type InboundMessage } from '../../src/sip/edge/transport/index.js';
import { TransactionLayer, buildResponse, newTag, type ServerTransaction } from '../../src/sip/edge/transaction/index.js';

const SEED = Number(process.env.SG_FUZZ_SEED ?? Date.now() % 1_000_000);
const ITER = Number(process.env.SG_FUZZ_ITERATIONS ?? 20000);
const HOST = '127.0.2.1';
t.comment(`seed ${SEED}, ${ITER} iterations`);

let state = SEED >>> 0 || 1;
function rnd(n: number): number {
  // xorshift32
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
}

// RFC 4475 (public test data), copied from the team's shared/testdata.
const DIR = fileURLToPath(new URL('../fixtures/rfc4475', import.meta.url));
const FIXTURES: Buffer[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.dat'))
  .map((f) => readFileSync(`${DIR}/${f}`));
const VALID_OPTIONS = (branch: string, transport = 'UDP'): Buffer =>
  Buffer.from(
    `OPTIONS sip:edge@${HOST} SIP/2.0\r\nVia: SIP/2.0/${transport} 127.0.2.90:5090;branch=${branch}\r\nMax-Forwards: 70\r\n` +
      `From: <sip:fuzz@example.com>;tag=f${branch}\r\nTo: <sip:edge@example.com>\r\nCall-ID: ${branch}@fuzz\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
FIXTURES.push(VALID_OPTIONS('z9hG4bKseed'));
FIXTURES.push(
  Buffer.from(
    'SIP/2.0 180 Ringing\r\nv: SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKa;received=10.0.0.1;rport=7\r\nf: "A" <sips:a@b>;tag=1\r\n' +
      't: <tel:+123;phone-context=x>;tag=2\r\ni: x@y\r\nCSeq: 9 INVITE\r\nm: *\r\nRSeq: 1\r\nl: 3\r\n\r\nabc',
  ),
);

const INSERTS = ['\r\n', '\r\n\r\n', ' ', '\t', ':', ';', ',', '<', '>', '"', '\\', '%', '\0', '\xff', 'é', '=', '@', '?', '[', ']', '99999999999999', '-1', 'SIP/2.0', 'Content-Length: 0', 'Via: ', '\r\n '];

function mutate(src: Buffer): Buffer {
  let b = Buffer.from(src);
  const n = 1 + rnd(4);
  for (let k = 0; k < n; k++) {
    const pos = b.length === 0 ? 0 : rnd(b.length);
    switch (rnd(8)) {
      case 0: // truncate
        b = b.subarray(0, pos);
        break;
      case 1: // flip a byte
        if (b.length > 0) b[pos] = rnd(256);
        break;
      case 2: // insert a token
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(INSERTS[rnd(INSERTS.length)], 'latin1'), b.subarray(pos)]);
        break;
      case 3: // delete a range
        b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + rnd(40)))]);
        break;
      case 4: // duplicate a range
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos, pos + rnd(200)), b.subarray(pos)]);
        break;
      case 5: // splice with another fixture
        b = Buffer.concat([b.subarray(0, pos), FIXTURES[rnd(FIXTURES.length)].subarray(rnd(100))]);
        break;
      case 6: // change a digit
        for (let i = pos; i < b.length; i++) {
          if (b[i] >= 0x30 && b[i] <= 0x39) {
            b[i] = 0x30 + rnd(10);
            break;
          }
        }
        break;
      default: // lower/upper case a byte
        if (b.length > 0) b[pos] ^= 0x20;
    }
  }
  return b;
}

t.test('parser: only typed errors, and what parses re-serialises to what parses', async (t) => {
  let parsed = 0;
  let rejected = 0;
  const untyped: string[] = [];
  const roundTrip: string[] = [];
  for (let i = 0; i < ITER; i++) {
    const input = mutate(FIXTURES[rnd(FIXTURES.length)]);
    let m;
    try {
      m = parseMessage(input, { stream: rnd(4) === 0 });
    } catch (e) {
      if (e instanceof SipParseError) rejected++;
      else if (untyped.length < 5) untyped.push(`${(e as Error).stack} on ${JSON.stringify(input.toString('latin1').slice(0, 300))}`);
      continue;
    }
    parsed++;
    try {
      const again = parseMessage(serializeMessage(m));
      if (again.isRequest !== m.isRequest || !again.body.equals(m.body)) throw new Error('changed');
    } catch (e) {
      if (roundTrip.length < 5) roundTrip.push(`${(e as Error).message} on ${JSON.stringify(input.toString('latin1').slice(0, 300))}`);
    }
  }
  t.same(untyped, [], 'no untyped error escaped the parser');
  t.same(roundTrip, [], 'every parsed message round-trips');
  t.ok(parsed > 0 && rejected > 0, `parsed ${parsed}, rejected ${rejected}`);
});

t.test('stream framer: random cuts of mutated streams throw only FramingError', async (t) => {
  const untyped: string[] = [];
  for (let i = 0; i < ITER / 10; i++) {
    const stream = Buffer.concat([mutate(FIXTURES[rnd(FIXTURES.length)]), VALID_OPTIONS('z9hG4bKs' + i, 'TCP'), mutate(FIXTURES[rnd(FIXTURES.length)])]);
    const f = new StreamFramer({ maxMessageBytes: 8192 });
    let p = 0;
    try {
      while (p < stream.length) {
        const n = 1 + rnd(300);
        for (const it of f.push(stream.subarray(p, p + n))) {
          if (it.kind === 'message') {
            try {
              parseMessage(it.bytes, { stream: true });
            } catch (e) {
              if (!(e instanceof SipParseError)) throw e;
            }
          }
        }
        p += n;
      }
    } catch (e) {
      if (!(e instanceof FramingError) && untyped.length < 5) untyped.push(String((e as Error).stack));
    }
  }
  t.same(untyped, []);
});

/** A TU that answers every request so server transactions finish. */
function answeringLayer(transport: SipTransport): TransactionLayer {
  const layer = new TransactionLayer({
    transport,
    timers: { t1: 10, t4: 50 },
    tu: {
      onRequest: (txn: ServerTransaction) => {
        txn.respond(buildResponse(txn.request, txn.method === 'INVITE' ? 486 : 200, undefined, newTag()));
      },
      onAck: () => {},
      onStrayResponse: () => {},
    },
  });
  transport.on('message', (m: InboundMessage) => layer.receive(m));
  return layer;
}

t.test('live UDP transport: keeps serving valid messages, heap stays bounded', async (t) => {
  const tr = new SipTransport({ listen: [{ protocol: 'udp', address: HOST, port: 0 }] });
  await tr.start();
  const layer = answeringLayer(tr);
  t.teardown(async () => {
    layer.close();
    await tr.close();
  });
  const port = tr.boundListeners[0].port;
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.2.90', r));
  t.teardown(() => client.close());
  client.on('message', () => {});
  const probe = async (branch: string): Promise<void> => {
    const seen = new Promise<void>((resolve) => {
      const on = (m: InboundMessage): void => {
        if (m.message.isRequest && m.message.topVia?.branch === branch) {
          tr.off('message', on);
          resolve();
        }
      };
      tr.on('message', on);
    });
    // UDP may drop under the burst: repeat the probe until it is seen
    const timer = setInterval(() => client.send(VALID_OPTIONS(branch), port, HOST), 200);
    client.send(VALID_OPTIONS(branch), port, HOST);
    await seen;
    clearInterval(timer);
  };
  const batch = 200;
  const rounds = Math.max(5, Math.floor(ITER / batch));
  const gc = (globalThis as { gc?: () => void }).gc;
  let baseline = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < batch; i++) {
      client.send(mutate(FIXTURES[rnd(FIXTURES.length)]), port, HOST);
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    await probe(`z9hG4bKprobe${r}`);
    if (r === 2) {
      gc?.();
      baseline = process.memoryUsage().heapUsed;
    }
  }
  gc?.();
  const used = process.memoryUsage().heapUsed;
  t.ok(tr.stats.parseErrors > 0, `parse errors counted: ${tr.stats.parseErrors}`);
  t.ok(used < baseline + 64 * 1024 * 1024, `heap ${Math.round(used / 1048576)} MB vs ${Math.round(baseline / 1048576)} MB after warm-up`);
  // transactions drain with the short timers
  await new Promise((r) => setTimeout(r, 1500));
  t.ok(layer.size.server < 50, `server transactions left: ${layer.size.server}`);
});

t.test('live TCP transport: a bad stream closes only its connection; next connection is served', async (t) => {
  const tr = new SipTransport({ listen: [{ protocol: 'tcp', address: HOST, port: 0 }] });
  await tr.start();
  const layer = answeringLayer(tr);
  t.teardown(async () => {
    layer.close();
    await tr.close();
  });
  const port = tr.boundListeners[0].port;
  for (let r = 0; r < 30; r++) {
    const sock = net.connect({ host: HOST, port, localAddress: '127.0.2.90' });
    sock.on('error', () => {});
    await once(sock, 'connect');
    for (let i = 0; i < 20; i++) sock.write(mutate(FIXTURES[rnd(FIXTURES.length)]));
    sock.destroy();
    const ok = net.connect({ host: HOST, port, localAddress: '127.0.2.90' });
    ok.on('error', () => {});
    await once(ok, 'connect');
    const branch = `z9hG4bKtcpprobe${r}`;
    const seen = new Promise<void>((resolve) => {
      const on = (m: InboundMessage): void => {
        if (m.message.topVia?.branch === branch) {
          tr.off('message', on);
          resolve();
        }
      };
      tr.on('message', on);
    });
    ok.write(VALID_OPTIONS(branch, 'TCP'));
    await seen;
    ok.destroy();
  }
  t.pass('served a valid message after each mutated stream');
  while (tr.connectionCount > 0) await once(tr, 'connection-closed');
  t.equal(tr.connectionCount, 0, 'closed connections are released');
});
