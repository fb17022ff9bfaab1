// In-kernel forwarding through the TypeScript binding: status and counters are mirrored, a
// refused attach throws a NativeError that says why, and the engine keeps relaying in user
// space. The kernel path itself (offload, hand-back, checksums) is exercised by the C tests
// in a private network namespace (native/test/test_kfwd.c): attaching a tc program to this
// host's shared loopback from a test would put it in every other process's packet path.
import dgram from 'node:dgram';
import { once } from 'node:events';
import t from 'tap';
import { NativeEngine } from '../../src/ffi/engine.js';
import { loadNative } from '../../src/ffi/native.js';
import { NativeError } from '../../src/errors.js';
import { pcmuPacket } from '../fixtures/rtp-packet.js';

const LOOP = '127.0.25.1';

t.test('kernel forwarding: a refused attach explains itself and the relay stays in user space', async (t) => {
  const native = loadNative();
  const engine = NativeEngine.start(native, { mediaThreads: 1, portMin: 25200, portMax: 25299 });
  const socks: dgram.Socket[] = [];
  t.teardown(() => {
    for (const s of socks) s.close();
    engine.stop();
  });

  const st0 = engine.kernelForwardingStatus();
  t.equal(st0.interfaces, 0);
  t.equal(st0.packets, 0);
  t.equal(st0.error, '');
  const c0 = engine.counters();
  for (const k of ['kfwd_packets', 'kfwd_bytes', 'kfwd_punted', 'kfwd_installs', 'kfwd_removals', 'kfwd_active'] as const) {
    t.equal(c0[k], 0, k);
  }

  t.throws(() => engine.attachKernelForwarding([]), NativeError);
  t.throws(() => engine.attachKernelForwarding(['lo,eth0']), NativeError);
  // No such interface (as root: EINVAL naming it; unprivileged: EPERM naming the capabilities).
  let err: unknown;
  try {
    engine.attachKernelForwarding(['sgnosuch0']);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof NativeError, 'throws NativeError');
  const msg = (err as Error).message;
  t.ok(/sgnosuch0|CAP_BPF/.test(msg), `message says why: ${msg}`);
  t.equal(engine.kernelForwardingStatus().interfaces, 0);
  t.not(engine.kernelForwardingStatus().error, '');
  engine.detachKernelForwarding();           // not attached: a no-op

  // The relay works as before.
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
  const portA = engine.localPort(a);
  for (let i = 0; i < 20; i++) {
    const got = once(bob, 'message');
    alice.send(pcmuPacket(i, 0x5151), portA, LOOP);
    const [m] = (await got) as [Buffer];
    t.equal(m.length, 172);
  }
  const c = engine.counters();
  t.equal(c.relay_forwarded, 20);
  t.equal(c.kfwd_packets, 0);
  t.equal(c.kfwd_installs, 0);
});
