import t from 'tap';
import { loadNative, checkStructSizes, EXPECTED_ABI_VERSION, type NativeLibrary } from '../../../src/ffi/native.js';
import koffi from 'koffi';
import { NativeError } from '../../../src/errors.js';
import { MIRRORED_STRUCTS } from '../../../src/ffi/types.js';
import { SPAN_STRUCTS } from '../../../src/ffi/span.js';
import { PRI_STRUCTS } from '../../../src/ffi/pri.js';

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

t.test('the library lists the span, PRI and codec structs with the binding\'s sizes', async (t) => {
  const n = loadNative();
  for (const [name, type, headerSize] of [...SPAN_STRUCTS, ...PRI_STRUCTS]) {
    t.equal(n.structSize(name), koffi.sizeof(type), name);
    t.equal(headerSize, koffi.sizeof(type), `${name} header size`);
  }
  for (const name of ['sg_codec_info_t', 'sg_codec_opts_t']) {
    t.ok(MIRRORED_STRUCTS.some(([m]) => m === name), `${name} is checked at load`);
    t.ok(n.structSize(name) > 0, `${name} is listed`);
  }
  t.doesNotThrow(() => checkStructSizes(n, SPAN_STRUCTS));
  t.doesNotThrow(() => checkStructSizes(n, PRI_STRUCTS));
});

t.test('checkStructSizes refuses a struct the library does not list or sizes differently', async (t) => {
  const n = loadNative();
  const fake = (size: number): NativeLibrary => ({ ...n, structSize: () => size });
  const [name, type, headerSize] = SPAN_STRUCTS[0]!;
  t.throws(() => checkStructSizes(fake(0), [[name, type, headerSize]]), NativeError, 'not listed');
  t.throws(() => checkStructSizes(fake(koffi.sizeof(type) + 8), [[name, type, headerSize]]), NativeError, 'library differs');
  t.throws(() => checkStructSizes(n, [[name, type, headerSize + 4]]), NativeError, 'header differs');
  t.doesNotThrow(() => checkStructSizes(fake(koffi.sizeof(type)), [[name, type, headerSize]]));
});
