// The named error classes of spangate. Callers branch on `code` or `instanceof`,
// never on the message text.

export type ErrorCode =
  | 'ECONFIG'
  | 'ESIGNALING'
  | 'ENATIVE'
  | 'ETIMEOUT'
  | 'EMEDIA'
  | 'EADMIN'
  | 'ECLOSED'
  | 'EROUTE'
  | 'EDAEMON'
  | 'ESIPDOWN';

export abstract class SpangateError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad config file, key, value or combination. `file` and `path` say where, `reason` what. */
export class ConfigError extends SpangateError {
  readonly code = 'ECONFIG' as const;
  readonly file: string | undefined;
  readonly path: string | undefined;
  readonly reason: string | undefined;
  constructor(message: string, opts: { file?: string; path?: string; reason?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.file = opts.file;
    this.path = opts.path;
    this.reason = opts.reason;
  }
}

/** A call-signalling failure, carrying the SIP status and/or Q.850 cause to report. */
export class SignalingError extends SpangateError {
  readonly code = 'ESIGNALING' as const;
  readonly sipStatus: number | undefined;
  readonly q850Cause: number | undefined;
  constructor(message: string, opts: { sipStatus?: number; q850Cause?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.sipStatus = opts.sipStatus;
    this.q850Cause = opts.q850Cause;
  }
}

/** A native engine call returned an sg_err code, or the library failed its ABI handshake. */
export class NativeError extends SpangateError {
  readonly code = 'ENATIVE' as const;
  readonly errno: number | undefined;
  constructor(message: string, opts: { errno?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.errno = opts.errno;
  }
}

/** A remote or native request did not answer within its timeout. */
export class TimeoutError extends SpangateError {
  readonly code = 'ETIMEOUT' as const;
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/** A media relay (rtpengine or the native relay) refused or failed a request. */
export class MediaError extends SpangateError {
  readonly code = 'EMEDIA' as const;
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
  }
}

/**
 * The admin API: daemon not running, no permission on its socket, bad request, a broken
 * answer, or an error reported by the daemon (`remoteCode` is that error's code, `data` its
 * details, e.g. a ConfigError's file and path).
 */
export class AdminError extends SpangateError {
  readonly code = 'EADMIN' as const;
  readonly reason: 'not-running' | 'permission' | 'bad-request' | 'remote' | 'protocol';
  readonly remoteCode: string | undefined;
  readonly data: Record<string, unknown> | undefined;
  constructor(
    message: string,
    reason: AdminError['reason'],
    opts: { cause?: unknown; remoteCode?: string; data?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: opts.cause });
    this.reason = reason;
    this.remoteCode = opts.remoteCode;
    this.data = opts.data;
  }
}

/** The daemon cannot start or run: its lock is held, its socket is in use, a subsystem failed. */
export class DaemonError extends SpangateError {
  readonly code = 'EDAEMON' as const;
  readonly reason: 'locked' | 'socket-in-use' | 'start-failed';
  constructor(message: string, reason: DaemonError['reason'], opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.reason = reason;
  }
}

/** The object (call, leg, connection, engine) was closed; pending work is rejected with this. */
export class ClosedError extends SpangateError {
  readonly code = 'ECLOSED' as const;
}

/** No route, or a routing rule that cannot be applied. */
export class RouteError extends SpangateError {
  readonly code = 'EROUTE' as const;
  readonly q850Cause: number;
  constructor(message: string, q850Cause: number) {
    super(message);
    this.q850Cause = q850Cause;
  }
}

/**
 * SIP signalling is not available: drachtio-srf is not connected to the SIP edge (starting,
 * edge restarting, reconnecting, stopped). Calls attempted now fail; retry after `ready`.
 */
export class SipUnavailableError extends SpangateError {
  readonly code = 'ESIPDOWN' as const;
  readonly reason: string;
  constructor(message: string, reason: string) {
    super(message);
    this.reason = reason;
  }
}
