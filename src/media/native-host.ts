// The native relay in the daemon: starts the media engine (libspangate, one per process) with
// media.native's port range, opens the event reader, builds the NativeMediaRelay on them, and
// attaches in-kernel forwarding of pass-through streams when media.native.kernelForwarding is
// auto and the process may (CAP_BPF + CAP_NET_ADMIN). When it may not, it says why once and
// the engine relays everything in user space. The media subsystem owns one of these.

import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { NativeError } from '../errors.js';
import { NativeEngine, type EngineCounters, type KernelForwardingStatus } from '../ffi/engine.js';
import { NativeEventReader } from '../ffi/events.js';
import { loadNative } from '../ffi/native.js';
import type { Logger } from '../log/index.js';
import { NativeMediaRelay } from './native-relay.js';

const SG_ESTATE = -6;
const SG_ENOSYS = -7;
const SG_EPERM = -8;

export interface NativeHostOptions {
  address: string;
  advertisedAddress: string;
  portMin: number;
  portMax: number;
  mediaThreads: number;
  kernelForwarding: 'auto' | 'off';
  /** Comma-separated interface names; '' = derived from address. */
  kernelInterfaces: string;
  receiveSteering: 'auto' | 'off';
  /** 0 = read on readiness; else every N µs (≤ 20 000). */
  receiveIntervalUs: number;
  mediaTimeoutMs: number;
}

/** What the media subsystem needs of the native side (the real host, or a fake in unit tests). */
export interface NativeHostLike {
  readonly relay: NativeMediaRelay | undefined;
  readonly running: boolean;
  /** 'on (lo)', 'off (configured)', 'off: <why>'. */
  readonly kernelForwarding: string;
  /** 'on (on readiness)', 'on (every 1000 us)', 'off (configured)', 'off: <why>'. */
  readonly receiveSteering: string;
  start(): void;
  stop(): Promise<void>;
  /** Engine counters (read at scrape time); undefined while not running. */
  counters(): EngineCounters | undefined;
  kernelStatus(): KernelForwardingStatus | undefined;
}

/** Interfaces holding `address` (every interface for the unspecified address). */
export function interfacesFor(address: string, ifs = networkInterfaces()): string[] {
  if (address === '0.0.0.0' || address === '::') return Object.keys(ifs);
  const out: string[] = [];
  for (const [name, addrs] of Object.entries(ifs)) {
    if (addrs?.some((a) => a.address === address || (isIPv4(address) && a.family === 'IPv4' && inCidr(address, a.cidr)))) out.push(name);
  }
  return out;
}

function ip4(a: string): number {
  return a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

function inCidr(address: string, cidr: string | null): boolean {
  if (!cidr) return false;
  const [net, bits] = cidr.split('/');
  const b = Number(bits);
  if (!net || !isIPv4(net) || !(b >= 0 && b <= 32)) return false;
  const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
  return ((ip4(address) & mask) >>> 0) === ((ip4(net) & mask) >>> 0);
}

export class NativeHost implements NativeHostLike {
  #engine: NativeEngine | undefined;
  #relay: NativeMediaRelay | undefined;
  /** False when another part of the process started the engine (TDM media): never stopped here. */
  #owned = false;
  #kfwd = 'off (not started)';
  #steer = 'off (not started)';

  constructor(private readonly o: NativeHostOptions, private readonly log: Logger) {}

  get relay(): NativeMediaRelay | undefined {
    return this.#relay;
  }

  get running(): boolean {
    return this.#engine?.isRunning ?? false;
  }

  get kernelForwarding(): string {
    return this.#kfwd;
  }

  get receiveSteering(): string {
    return this.#steer;
  }

  /** Starts (or joins) the engine and the relay. Throws NativeError. */
  start(): void {
    if (this.#engine) return;
    const native = loadNative();
    const o = this.o;
    try {
      this.#engine = NativeEngine.start(native, { mediaThreads: o.mediaThreads, portMin: o.portMin, portMax: o.portMax });
      this.#owned = true;
    } catch (e) {
      if (!(e instanceof NativeError && e.errno === SG_ESTATE)) throw e;
      // PRI B-channel media started it first (its tdm.rtp port range applies).
      this.#engine = NativeEngine.attach(native);
      this.#owned = false;
      this.log.warn({ portMin: o.portMin, portMax: o.portMax }, 'native relay joins the media engine TDM media started: its RTP ports come from tdm.rtp, not media.native');
    }
    const relayOpts = { localAddress: o.address, mediaTimeoutMs: o.mediaTimeoutMs, ...(o.advertisedAddress ? { advertisedAddress: o.advertisedAddress } : {}) };
    this.#relay = new NativeMediaRelay(this.#engine, NativeEventReader.open(native), relayOpts);
    this.log.info({ address: o.address, portMin: o.portMin, portMax: o.portMax, owned: this.#owned }, 'native media relay started');
    this.#attachKernel();
    this.#attachSteering();
  }

  #attachSteering(): void {
    if (this.o.receiveSteering === 'off') {
      this.#steer = 'off (media.native.receiveSteering)';
      return;
    }
    if (!this.#owned) {
      // The engine TDM media started keeps its own settings.
      this.#steer = 'off (the engine was started by TDM media)';
      return;
    }
    const interval = this.o.receiveIntervalUs;
    try {
      this.#engine!.attachReceiveSteering(interval);
      this.#steer = interval === 0 ? 'on (on readiness)' : `on (every ${interval} us)`;
      this.log.info({ intervalUs: interval }, 'receive steering attached: one socket per media thread');
    } catch (e) {
      const errno = e instanceof NativeError ? e.errno : undefined;
      this.#steer = `off: ${(e as Error).message}`;
      if (errno === SG_EPERM || errno === SG_ENOSYS) {
        this.log.info({ reason: (e as Error).message },
          'receive steering not permitted here: one socket per RTP port (grant CAP_BPF and CAP_NET_ADMIN to enable it, see README)');
      } else {
        this.log.warn({ reason: (e as Error).message }, 'receive steering could not attach: one socket per RTP port');
      }
    }
  }

  #attachKernel(): void {
    if (this.o.kernelForwarding === 'off') {
      this.#kfwd = 'off (media.native.kernelForwarding)';
      return;
    }
    const names = this.o.kernelInterfaces !== ''
      ? this.o.kernelInterfaces.split(',').map((n) => n.trim())
      : interfacesFor(this.o.address);
    if (names.length === 0) {
      this.#kfwd = `off: no interface holds ${this.o.address} (set media.native.kernelInterfaces)`;
      this.log.warn({ address: this.o.address }, `kernel forwarding stays off: ${this.#kfwd}`);
      return;
    }
    try {
      this.#engine!.attachKernelForwarding(names);
      this.#kfwd = `on (${names.join(',')})`;
      this.log.info({ interfaces: names }, 'kernel forwarding of pass-through streams attached');
    } catch (e) {
      const errno = e instanceof NativeError ? e.errno : undefined;
      this.#kfwd = `off: ${(e as Error).message}`;
      // Said once, at start: every stream is relayed in user space from here on.
      if (errno === SG_EPERM || errno === SG_ENOSYS) {
        this.log.info({ interfaces: names, reason: (e as Error).message },
          'kernel forwarding not permitted here: relaying every stream in user space (grant CAP_BPF and CAP_NET_ADMIN to enable it, see README)');
      } else {
        this.log.warn({ interfaces: names, reason: (e as Error).message }, 'kernel forwarding could not attach: relaying every stream in user space');
      }
    }
  }

  counters(): EngineCounters | undefined {
    return this.running ? this.#engine!.counters() : undefined;
  }

  kernelStatus(): KernelForwardingStatus | undefined {
    return this.running ? this.#engine!.kernelForwardingStatus() : undefined;
  }

  async stop(): Promise<void> {
    const relay = this.#relay;
    const engine = this.#engine;
    this.#relay = undefined;
    this.#engine = undefined;
    if (relay) await relay.close();
    if (!engine) return;
    if (this.#kfwd.startsWith('on')) engine.detachKernelForwarding();
    this.#kfwd = 'off (stopped)';
    if (this.#steer.startsWith('on')) engine.detachReceiveSteering();
    this.#steer = 'off (stopped)';
    if (this.#owned) {
      relay?.engineLost('media engine stopped');
      engine.stop();
    }
  }
}
