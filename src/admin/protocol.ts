// The admin wire format: one JSON object per line, both ways.
//   request:  {"id": 1, "method": "status", "params": {}}
//   response: {"id": 1, "result": ...}  or  {"id": 1, "error": {"code": "ECONFIG", "message": "...", "data": {...}}}
import { ConfigError, SpangateError, TimeoutError } from '../errors.js';

export type RequestId = string | number;

export interface AdminRequest {
  id: RequestId;
  method: string;
  params: Record<string, unknown>;
}

export interface AdminErrorBody {
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

export type AdminResponse =
  | { id: RequestId | null; result: unknown }
  | { id: RequestId | null; error: AdminErrorBody };

/** Longest accepted line (request or response), in bytes. */
export const MAX_LINE_BYTES = 1 << 20;

export const METHOD_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;

/** Splits a byte stream into lines; throws when a line grows past MAX_LINE_BYTES. */
export class LineSplitter {
  private buf = '';
  constructor(private readonly maxBytes = MAX_LINE_BYTES) {}

  push(chunk: Buffer | string): string[] {
    this.buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = this.buf.split('\n');
    this.buf = lines.pop() ?? '';
    if (this.buf.length > this.maxBytes) throw new Error(`line longer than ${this.maxBytes} bytes`);
    return lines.filter((l) => l.trim().length > 0);
  }
}

/** Parses one request line; a malformed one yields an error body (with the id when readable). */
export function parseRequest(line: string): { request: AdminRequest } | { id: RequestId | null; error: AdminErrorBody } {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return { id: null, error: { code: 'EBADREQUEST', message: 'request is not valid JSON' } };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return { id: null, error: { code: 'EBADREQUEST', message: 'request must be a JSON object' } };
  }
  const m = msg as Record<string, unknown>;
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  if (id === null) return { id: null, error: { code: 'EBADREQUEST', message: 'request needs an "id" (string or number)' } };
  if (typeof m.method !== 'string' || !METHOD_NAME.test(m.method)) {
    return { id, error: { code: 'EBADREQUEST', message: 'request needs a "method" such as "status"' } };
  }
  if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params))) {
    return { id, error: { code: 'EBADREQUEST', message: '"params" must be an object' } };
  }
  return { request: { id, method: m.method, params: (m.params as Record<string, unknown>) ?? {} } };
}

/** The error body sent for an exception thrown by a method handler. */
export function errorBody(err: unknown): AdminErrorBody {
  if (err instanceof ConfigError) {
    return { code: err.code, message: err.message, data: { file: err.file, path: err.path, reason: err.reason } };
  }
  if (err instanceof TimeoutError) return { code: err.code, message: err.message, data: { timeoutMs: err.timeoutMs } };
  if (err instanceof SpangateError) return { code: err.code, message: err.message };
  return { code: 'EINTERNAL', message: err instanceof Error ? err.message : String(err) };
}
