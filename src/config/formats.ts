// The value formats config keys may use. Each is registered with convict by name and also
// used by our own validator (validate.ts), so both agree on what a good value is.
// A format's check throws a plain Error whose message is the reason; callers wrap it.
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { mediaFormats } from './schema/media.js';
import { routingFormats } from './schema/routing.js';
import { sipFormats } from './schema/sip.js';

export interface FormatDef {
  /** Throws an Error (message = reason) when the value is not acceptable. */
  check(value: unknown): void;
  /** Turns a string from an environment variable into a value of the right type. */
  coerce?(value: string): unknown;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The longest unix socket path Linux accepts (sun_path is 108 bytes with the NUL). */
export const MAX_SOCKET_PATH = 107;

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    return typeof v;
  }
}

function fail(reason: string, value: unknown): never {
  throw new Error(`${reason} (got ${show(value)})`);
}

function toInt(s: string): unknown {
  return /^\s*-?\d+\s*$/.test(s) ? Number(s.trim()) : s;
}

function checkInt(v: unknown, min: number, max: number, what: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(`must be ${what}`, v);
  if (v < min || v > max) fail(`must be ${what} between ${min} and ${max}`, v);
}

function checkAbsPath(v: unknown): asserts v is string {
  if (typeof v !== 'string' || v.length === 0) fail('must be a non-empty string', v);
  if (!isAbsolute(v)) fail('must be an absolute path', v);
  if (v.includes('\0')) fail('must not contain NUL', v);
}

function parseLevelMap(s: string): unknown {
  const t = s.trim();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return s;
    }
  }
  // "sip=debug,media=warn"
  const out: Record<string, string> = {};
  for (const part of t.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return s;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export const SUBSYSTEM_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export const FORMATS: Record<string, FormatDef> = {
  'abs-path': { check: checkAbsPath },
  'socket-path': {
    check(v) {
      checkAbsPath(v);
      if (Buffer.byteLength(v) > MAX_SOCKET_PATH) fail(`must be at most ${MAX_SOCKET_PATH} bytes (unix socket limit)`, v);
    },
  },
  'duration-ms': {
    check: (v) => checkInt(v, 0, 86_400_000, 'a whole number of milliseconds'),
    coerce: toInt,
  },
  'tcp-port': {
    check: (v) => checkInt(v, 0, 65535, 'a port number'),
    coerce: toInt,
  },
  'ip-address': {
    check(v) {
      if (typeof v !== 'string' || isIP(v) === 0) fail('must be an IPv4 or IPv6 address', v);
    },
  },
  boolean: {
    check(v) {
      if (typeof v !== 'boolean') fail('must be true or false', v);
    },
    coerce(s) {
      const t = s.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      return s;
    },
  },
  'file-mode': {
    check(v) {
      if (typeof v !== 'string' || !/^0?[0-7]{3}$/.test(v)) fail('must be an octal file mode such as "0660"', v);
    },
  },
  'log-level': {
    check(v) {
      if (typeof v !== 'string' || !(LOG_LEVELS as readonly string[]).includes(v)) {
        fail(`must be one of ${LOG_LEVELS.join(', ')}`, v);
      }
    },
  },
  'log-level-map': {
    check(v) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('must be an object of subsystem: level', v);
      for (const [name, level] of Object.entries(v)) {
        if (!SUBSYSTEM_NAME.test(name)) fail(`subsystem name ${show(name)} must match ${SUBSYSTEM_NAME.source}`, v);
        if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
          fail(`level of ${name} must be one of ${LOG_LEVELS.join(', ')}`, level);
        }
      }
    },
    coerce: parseLevelMap,
  },
  'optional-abs-path': {
    check(v) {
      if (v !== '') checkAbsPath(v);
    },
  },
  // Formats the subsystem sections declare next to their keys; numbers get env coercion here.
  ...sipFormats,
  ...routingFormats,
  'udp-port': { ...mediaFormats['udp-port'], coerce: toInt },
  'non-negative-int': { ...mediaFormats['non-negative-int'], coerce: toInt },
  'port-or-zero': { ...mediaFormats['port-or-zero'], coerce: toInt },
  'optional-ip-address': mediaFormats['optional-ip-address'],
  'interface-list': mediaFormats['interface-list'],
};

/** The check for one schema `format` value: a registered name or an array of allowed values. */
export function formatCheck(format: unknown): (value: unknown) => void {
  if (Array.isArray(format)) {
    const allowed = format as unknown[];
    return (v) => {
      if (!allowed.includes(v)) fail(`must be one of ${allowed.map(show).join(', ')}`, v);
    };
  }
  if (typeof format === 'string' && FORMATS[format]) return FORMATS[format].check;
  throw new Error(`unknown config format ${show(format)}`);
}

/** Coerces an environment string for a key of the given format. */
export function formatCoerce(format: unknown, value: string): unknown {
  if (typeof format === 'string') {
    const c = FORMATS[format]?.coerce;
    if (c) return c(value);
  }
  return value;
}
