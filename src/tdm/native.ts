// The real native side of the SpanManager: the span and PRI bindings and the shared event reader;
// and of the simulator's B-channel audio: the TDM channel binding on a running media engine.
import { NativeError } from '../errors.js';
import { NativeEngine } from '../ffi/engine.js';
import { NativeEventReader } from '../ffi/events.js';
import { loadNative } from '../ffi/native.js';
import { PriBinding } from '../ffi/pri.js';
import { SpanBinding } from '../ffi/span.js';
import { TdmBinding } from '../ffi/tdm.js';
import type { SimMedia } from './sim-audio.js';
import type { TdmNative } from './span-manager.js';

const SG_ESTATE = -6;

export function loadTdmNative(): TdmNative {
  const native = loadNative();
  return { span: new SpanBinding(native), pri: new PriBinding(native), events: NativeEventReader.open(native) };
}

let engine: NativeEngine | undefined;
let users = 0;

/**
 * B-channel media for simulators: TDM channels need the media engine. The first user starts
 * one (one media thread) unless the process already runs one (the daemon's); the last
 * release stops the one started here.
 */
export function loadSimMedia(): SimMedia {
  const native = loadNative();
  if (users === 0) {
    try {
      engine = NativeEngine.start(native, { mediaThreads: 1 });
    } catch (e) {
      if (!(e instanceof NativeError && e.errno === SG_ESTATE)) throw e;
      engine = undefined;                     // someone else's engine: use it, never stop it
    }
  }
  users++;
  let released = false;
  return {
    tdm: new TdmBinding(native),
    events: NativeEventReader.open(native),
    release: () => {
      if (released) return;
      released = true;
      if (--users === 0 && engine) {
        engine.stop();
        engine = undefined;
      }
    },
  };
}
