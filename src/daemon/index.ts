export { Daemon, type DaemonOptions, type DaemonState, type ReloadResult } from './daemon.js';
export { PidLock } from './lock.js';
export type { Subsystem, SubsystemHealth, HealthStatus } from './subsystem.js';
