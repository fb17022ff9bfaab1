import t from 'tap';
import { loadNative, EXPECTED_ABI_VERSION } from '../../../src/ffi/native.js';
import koffi from 'koffi';
import { NativeError } from '../../../src/errors.js';
import { MIRRORED_STRUCTS } from '../../../src/ffi/types.js';

t.test('loads libspangate.so and passes the ABI handshake', async (t) => {
  const n = loadNative();
  t.equal(n.info.abiVersion, EXPECTED_ABI_VERSION);
  t.match(n.info.version, /^\d+\.\d+\.\d+/);
  t.equal(n.strerror(-3), 'no such handle');
  t.throws(() => n.check(-1, 'probe'), NativeError);
  t.equal(n.check(7, 'probe'), 7);
});

t.test('every mirrored engine struct has the library\'s size', async (t) => {
  const n = loadNative();
  const size = n.lib.func('uint32_t sg_struct_size(const char *name)');
  for (const [name, type] of MIRRORED_STRUCTS) t.equal(size(name), koffi.sizeof(type), name);
});
