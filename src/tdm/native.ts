// The real native side of the SpanManager: the span and PRI bindings and the shared event reader;
// and of the simulator's B-channel audio: the TDM channel binding on a running media engine.
import { NativeError } from '../errors.js';
import { NativeEngine } from '../ffi/engine.js';
import { NativeEventReader } from '../ffi/events.js';
import { loadNative } from '../ffi/native.js';
import { PriBinding } from '../ffi/pri.js';
import { SpanBinding } from '../ffi/span.js';
import { TdmBinding } from '../ffi/tdm.js';
import type { PriRtpApi } from './pri-rtp.js';
import type { SimMedia } from './sim-audio.js';
import type { TdmNative } from './span-manager.js';

const SG_ESTATE = -6;

/** Where the engine the daemon starts for B-channel media takes its RTP ports (tdm.rtp). */
export interface TdmEngineOptions {
  portMin?: number;
  portMax?: number;
}

export function loadTdmNative(opts: TdmEngineOptions = {}): TdmNative {
  const native = loadNative();
  const tdm = Object.assign(new TdmBinding(native), { ensureEngine: () => ensureEngine(native, opts) });
  // RTP endpoints of PRI⇄SIP calls, on the engine ensureEngine() made sure of.
  let eng: NativeEngine | undefined;
  const e = (): NativeEngine => {
    ensureEngine(native, opts);
    return (eng ??= NativeEngine.attach(native));
  };
  const rtp: PriRtpApi = {
    createEndpoint: (c) => e().createEndpoint(c),
    updateEndpoint: (h, c) => e().updateEndpoint(h, c),
    destroyEndpoint: (h) => e().destroyEndpoint(h),
    localPort: (h) => e().localPort(h),
    endpointStats: (h) => e().endpointStats(h),
  };
  return { span: new SpanBinding(native), pri: new PriBinding(native), tdm, rtp, events: NativeEventReader.open(native) };
}

let daemonEngine = false;

/**
 * The daemon's B-channel media needs the media engine: started on the first call that needs
 * it unless the process already runs one (a native relay, a simulator); it then runs for the
 * life of the process.
 */
function ensureEngine(native: ReturnType<typeof loadNative>, opts: TdmEngineOptions): void {
  if (daemonEngine || engine) return;
  try {
    NativeEngine.start(native, { mediaThreads: 1, portMin: opts.portMin, portMax: opts.portMax });
  } catch (e) {
    if (!(e instanceof NativeError && e.errno === SG_ESTATE)) throw e;
  }
  daemonEngine = true;
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
