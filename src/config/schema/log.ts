// log: pino JSON logs on stdout, with a level per subsystem.
import { key } from './key.js';
import type { LogLevel } from '../formats.js';

export const logSchema = {
  level: key<LogLevel>({
    doc: 'Default log level: fatal, error, warn, info, debug, trace or silent.',
    format: 'log-level',
    default: 'info',
    env: 'SPANGATE_LOG_LEVEL',
    reloadable: true,
  }),
  subsystems: key<Record<string, LogLevel>>({
    doc: 'Per-subsystem levels overriding log.level, e.g. {"sip": "debug"}; env form "sip=debug,media=warn".',
    format: 'log-level-map',
    default: {},
    env: 'SPANGATE_LOG_SUBSYSTEMS',
    reloadable: true,
  }),
};
