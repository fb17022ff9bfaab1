// The admin API client used by the CLI: one connection, requests with ids and time limits,
// everything pending rejected when the connection closes.
import { createConnection, type Socket } from 'node:net';
import { AdminError, ClosedError, TimeoutError } from '../errors.js';
import { LineSplitter, type AdminErrorBody, type RequestId } from './protocol.js';

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Maps a failure to connect into the error the operator should see. */
export function connectError(socketPath: string, err: NodeJS.ErrnoException): AdminError {
  switch (err.code) {
    case 'ENOENT':
      return new AdminError(`daemon is not running (no socket at ${socketPath})`, 'not-running', { cause: err });
    case 'ECONNREFUSED':
      return new AdminError(`daemon is not running (stale socket at ${socketPath}, nothing listening)`, 'not-running', { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new AdminError(`permission denied on admin socket ${socketPath}`, 'permission', { cause: err });
    default:
      return new AdminError(`cannot connect to admin socket ${socketPath}: ${err.code ?? err.message}`, 'protocol', { cause: err });
  }
}

export class AdminClient {
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private closed = false;

  private constructor(
    private readonly sock: Socket,
    readonly socketPath: string,
    private readonly defaultTimeoutMs: number,
  ) {
    const splitter = new LineSplitter();
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      try {
        for (const line of splitter.push(chunk)) this.onLine(line);
      } catch (err) {
        this.fail(new AdminError(`bad answer from daemon: ${(err as Error).message}`, 'protocol'));
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.fail(new ClosedError('admin connection closed by the daemon'));
      else this.fail(new AdminError(`admin connection failed: ${err.message}`, 'protocol', { cause: err }));
    });
    sock.on('close', () => this.fail(new ClosedError('admin connection closed by the daemon')));
  }

  /** Connects to the daemon; rejects with AdminError (not running, permission) or TimeoutError. */
  static connect(socketPath: string, timeoutMs: number): Promise<AdminClient> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(socketPath);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new TimeoutError(`no connection to admin socket ${socketPath} within ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new AdminClient(sock, socketPath, timeoutMs));
      });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(connectError(socketPath, err));
      });
    });
  }

  /** Sends one request; rejects with AdminError ('remote' carries the daemon's error), TimeoutError or ClosedError. */
  request<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = this.defaultTimeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError('admin connection is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError(`daemon did not answer ${method} within ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.sock.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  close(): void {
    this.fail(new ClosedError('admin connection closed'));
  }

  private onLine(line: string): void {
    let msg: { id?: RequestId | null; result?: unknown; error?: AdminErrorBody };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      throw new Error('answer is not JSON');
    }
    if (msg.id === null || msg.id === undefined) {
      // An error the daemon could not tie to a request: fail everything.
      throw new Error(msg.error?.message ?? 'answer without id');
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) {
      p.reject(new AdminError(msg.error.message, 'remote', { remoteCode: msg.error.code, data: msg.error.data }));
    } else {
      p.resolve(msg.result);
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.sock.destroy();
  }
}

/** Connects, sends one request, closes. */
export async function adminRequest<T = unknown>(
  socketPath: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 5_000,
): Promise<T> {
  const client = await AdminClient.connect(socketPath, timeoutMs);
  try {
    return await client.request<T>(method, params, timeoutMs);
  } finally {
    client.close();
  }
}
