// daemon: process lifecycle (pid/lock file, state directory, drain and stop limits).
import { key } from './key.js';

export const daemonSchema = {
  pidFile: key<string>({
    doc: 'PID file, also the lock that keeps a second daemon from starting with the same admin socket.',
    format: 'abs-path',
    default: '/run/spangate/spangate.pid',
    env: 'SPANGATE_PID_FILE',
    reloadable: false,
  }),
  stateDir: key<string>({
    doc: 'Directory for state kept across restarts (CDR store, history); created if missing.',
    format: 'abs-path',
    default: '/var/lib/spangate',
    env: 'SPANGATE_STATE_DIR',
    reloadable: false,
  }),
  drainTimeoutMs: key<number>({
    doc: 'On SIGTERM, how long to wait for active calls to end before stopping anyway (ms).',
    format: 'duration-ms',
    default: 30_000,
    env: 'SPANGATE_DRAIN_TIMEOUT_MS',
    reloadable: true,
  }),
  stopTimeoutMs: key<number>({
    doc: 'After draining, how long each subsystem may take to stop before it is abandoned (ms).',
    format: 'duration-ms',
    default: 5_000,
    env: 'SPANGATE_STOP_TIMEOUT_MS',
    reloadable: true,
  }),
};
