// The trunk runtime (src/sip/trunks): the TrunkDirectory the SIP call flows use, built from
// the config. The composition root calls start()/stop()/reload(config) with the daemon.

import type { TrunkDirectory } from '../trunk-directory.js';
import { SipTrunkDirectory, type TrunkDirectoryOptions } from './directory.js';

export { SipTrunkDirectory, type TrunkDirectoryOptions } from './directory.js';
export { TrunksSubsystem } from './subsystem.js';
export type { TrunkClock } from './clock.js';
export type { TrunkResolver } from './resolve.js';
export type { ProbeResult } from './options.js';

/** A TrunkDirectory that also starts, stops and reloads, and emits 'health' and 'probe'. */
export type RunningTrunkDirectory = TrunkDirectory & Pick<SipTrunkDirectory, 'start' | 'stop' | 'reload' | 'ready' | 'on' | 'off' | 'once'>;

export function createTrunkDirectory(o: TrunkDirectoryOptions): SipTrunkDirectory {
  return new SipTrunkDirectory(o);
}
