import t from 'tap';
import { loadNative, EXPECTED_ABI_VERSION } from '../../../src/ffi/native.js';
import { NativeError } from '../../../src/errors.js';

t.test('loads libspangate.so and passes the ABI handshake', async (t) => {
  const n = loadNative();
  t.equal(n.info.abiVersion, EXPECTED_ABI_VERSION);
  t.match(n.info.version, /^\d+\.\d+\.\d+/);
  t.equal(n.strerror(-3), 'no such handle');
  t.throws(() => n.check(-1, 'probe'), NativeError);
  t.equal(n.check(7, 'probe'), 7);
});
