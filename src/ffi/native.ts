// Loads libspangate.so through koffi and runs the ABI handshake. The only koffi user.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { NativeError } from '../errors.js';
import { MIRRORED_STRUCTS } from './types.js';

/** The ABI version this TypeScript mirror was written for (native/include/spangate/spangate.h). */
export const EXPECTED_ABI_VERSION = 1;

const here = dirname(fileURLToPath(import.meta.url));

/** Where the library is looked for: $SPANGATE_NATIVE_LIB is read by the config module and passed in. */
export function defaultLibraryPath(): string {
  const candidates = [
    resolve(here, '../../native/build/libspangate.so'),
    '/usr/lib/spangate/libspangate.so',
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

const AbiInfo = koffi.struct('sg_abi_info_t', {
  abi_version: 'uint32_t',
  struct_size: 'uint32_t',
  version: koffi.array('char', 32, 'String'),
});

export interface NativeInfo {
  path: string;
  abiVersion: number;
  version: string;
}

export interface NativeLibrary {
  readonly info: NativeInfo;
  readonly lib: koffi.IKoffiLib;
  strerror(code: number): string;
  /** Throws NativeError when rc is negative. */
  check(rc: number, what: string): number;
  /** sg_struct_size(name): the library's size of a public struct, 0 when it does not list it. */
  structSize(name: string): number;
}

/**
 * Checks structs bound after load (span, PRI) against the library: the size sg_struct_size()
 * reports must equal the binding's and the size its C header gives (headerSize, x86-64). A
 * library that does not list one of them is refused like a size mismatch.
 */
export function checkStructSizes(
  native: NativeLibrary,
  structs: ReadonlyArray<readonly [string, koffi.IKoffiCType, number]>,
): void {
  for (const [name, type, headerSize] of structs) {
    const theirs = native.structSize(name);
    const ours = koffi.sizeof(type);
    if (theirs === 0) {
      throw new NativeError(`struct ${name}: library ${native.info.path} does not list it (older build? run scripts/setup.sh)`);
    }
    if (theirs !== ours || headerSize !== ours) {
      throw new NativeError(`struct ${name}: library has ${theirs} bytes, binding has ${ours}, header ${headerSize}`);
    }
  }
}

let loaded: NativeLibrary | undefined;

/** Loads (once) and checks the library. Throws NativeError on a missing library or ABI mismatch. */
export function loadNative(path = defaultLibraryPath()): NativeLibrary {
  if (loaded) return loaded;
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new NativeError(`cannot load native library ${path} (run scripts/setup.sh)`, { cause: err });
  }
  const abiVersion = lib.func('uint32_t sg_abi_version(void)');
  const abiInfo = lib.func('int sg_abi_info(_Out_ sg_abi_info_t *out, uint32_t size)');
  const structSize = lib.func('uint32_t sg_struct_size(const char *name)');
  const strerror = lib.func('const char *sg_strerror(int err)');

  const v = abiVersion() as number;
  if (v !== EXPECTED_ABI_VERSION) {
    throw new NativeError(`native library ${path} has ABI ${v}, this build expects ${EXPECTED_ABI_VERSION}`);
  }
  const size = koffi.sizeof(AbiInfo);
  const out: Record<string, unknown> = {};
  const rc = abiInfo(out, size) as number;
  if (rc !== 0) throw new NativeError(`sg_abi_info failed: ${strerror(rc) as string}`, { errno: rc });
  const mirrored: ReadonlyArray<readonly [string, koffi.IKoffiCType]> = [['sg_abi_info_t', AbiInfo], ...MIRRORED_STRUCTS];
  for (const [name, type] of mirrored) {
    const theirs = structSize(name) as number;
    if (theirs !== koffi.sizeof(type)) {
      throw new NativeError(`struct ${name}: library has ${theirs} bytes, binding has ${koffi.sizeof(type)}`);
    }
  }
  const info: NativeInfo = { path, abiVersion: v, version: String(out.version) };
  loaded = {
    info,
    lib,
    strerror: (code) => strerror(code) as string,
    check(rcode, what) {
      if (rcode < 0) throw new NativeError(`${what}: ${strerror(rcode) as string}`, { errno: rcode });
      return rcode;
    },
    structSize: (name) => structSize(name) as number,
  };
  return loaded;
}
