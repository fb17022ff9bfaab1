// Receive steering through the TypeScript binding: the status is mirrored, a bad interval is
// refused before the engine sees it, and either steering attaches (root or CAP_BPF +
// CAP_NET_ADMIN: the engine's ports on 127.0.24.1 are delivered to one socket per media thread,
// so the relay's packets show up in the steering counters) or the refusal says why and the
// relay reads each endpoint's socket as before. The sk_lookup program only selects a socket for
// the engine's own {address, port} keys, so attaching it in this namespace leaves everyone
// else's UDP alone; the C tests (native/test/test_steer.c) cover the rest in private namespaces.
import dgram from 'node:dgram';
import { once } from 'node:events';
import t from 'tap';
import { NativeEngine } from '../../src/ffi/engine.js';
import { loadNative } from '../../src/ffi/native.js';
import { NativeError } from '../../src/errors.js';
import { pcmuPacket } from '../fixtures/rtp-packet.js';

const LOOP = '127.0.24.1';

t.test('receive steering: attaches (or says why not) and the relay carries both directions', async (t) => {
  const native = loadNative();
  const engine = NativeEngine.start(native, { mediaThreads: 2, portMin: 24200, portMax: 24299 });
  const socks: dgram.Socket[] = [];
  t.teardown(() => {
    for (const s of socks) s.close();
    engine.detachReceiveSteering();
    engine.stop();
  });

  const st0 = engine.receiveSteeringStatus();
  t.same({ attached: st0.attached, ports: st0.ports, packets: st0.packets, error: st0.error },
    { attached: false, ports: 0, packets: 0, error: '' });
  t.throws(() => engine.attachReceiveSteering(-1), NativeError);
  t.throws(() => engine.attachReceiveSteering(20001), NativeError);
  t.throws(() => engine.attachReceiveSteering(1.5), NativeError);

  const alice = dgram.createSocket('udp4');
  const bob = dgram.createSocket('udp4');
  socks.push(alice, bob);
  alice.bind(0, LOOP);
  bob.bind(0, LOOP);
  await Promise.all([once(alice, 'listening'), once(bob, 'listening')]);
  const base = { localAddr: LOOP, remoteAddr: LOOP, payloadType: 0, codec: 'PCMU', noRtcp: true };
  const a = engine.createEndpoint({ ...base, remotePort: alice.address().port });
  const b = engine.createEndpoint({ ...base, remotePort: bob.address().port });
  engine.createRelay(a, b);

  let attached = false;
  try {
    engine.attachReceiveSteering(0);
    attached = true;
  } catch (e) {
    t.ok(e instanceof NativeError, 'throws NativeError');
    t.match((e as Error).message, /CAP_BPF|not available/, 'says why');
    t.not(engine.receiveSteeringStatus().error, '');
  }
  const st1 = engine.receiveSteeringStatus();
  t.equal(st1.attached, attached);
  if (attached) {
    t.equal(st1.intervalUs, 0);
    t.equal(st1.ports, 4, 'RTP and RTCP port of both endpoints');
  }

  const portA = engine.localPort(a);
  const portB = engine.localPort(b);
  for (let i = 0; i < 10; i++) {
    const toBob = once(bob, 'message');
    alice.send(pcmuPacket(i, 0x5151), portA, LOOP);
    const [m, from] = (await toBob) as [Buffer, dgram.RemoteInfo];
    t.equal(m.length, 172);
    t.equal(from.port, portB, 'sent from the endpoint\'s own port');
    const toAlice = once(alice, 'message');
    bob.send(pcmuPacket(i, 0x6161), portB, LOOP);
    const [m2, from2] = (await toAlice) as [Buffer, dgram.RemoteInfo];
    t.equal(m2.length, 172);
    t.equal(from2.port, portA);
  }
  t.equal(engine.counters().relay_forwarded, 20);
  t.equal(engine.receiveSteeringStatus().packets, attached ? 20 : 0);
});
