// The NG control client: the only user of rtpengine-client. Every request gets an id (for
// logs), a timeout (TimeoutError), and a typed failure (MediaError with rtpengine's reason).
// close() rejects everything pending with ClosedError.

import rtpengine from 'rtpengine-client';
import type { NgMessage } from 'rtpengine-client';
import { ClosedError, MediaError, TimeoutError } from '../errors.js';

/** NG commands by rtpengine-client's method names ('playDTMF' is NG `play DTMF`, 'blockDTMF' `block DTMF`). */
export type NgCommand = 'ping' | 'offer' | 'answer' | 'delete' | 'query' | 'list' | 'statistics' | 'playDTMF' | 'blockDTMF';

export interface NgClientOptions {
  /** rtpengine's NG control address and port. */
  host: string;
  port: number;
  /** Local address to send from (defaults to the NG host when it is loopback). */
  localAddress?: string;
  /** Per-request timeout in ms (default 3000). */
  timeoutMs?: number;
}

export interface NgLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

const noop: NgLogger = { debug() {}, warn() {} };

/** rtpengine's NG reason for "there is no such call" (deleted, timed out, or it restarted). */
export function isUnknownCall(e: unknown): boolean {
  return e instanceof NgError && /^unknown call-id/i.test(e.reason);
}

/** A request rtpengine answered with result=error; `reason` is its error-reason. */
export class NgError extends MediaError {
  readonly command: NgCommand;
  readonly reason: string;
  constructor(command: NgCommand, reason: string) {
    super(`rtpengine ${command} failed: ${reason}`);
    this.command = command;
    this.reason = reason;
  }
}

export class NgClient {
  readonly #opts: Required<Omit<NgClientOptions, 'localAddress'>> & { localAddress: string | undefined };
  readonly #client: InstanceType<typeof rtpengine.Client>;
  readonly #ready: Promise<void>;
  readonly #pending = new Map<number, { reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  readonly #log: NgLogger;
  #seq = 0;
  #closed = false;

  constructor(opts: NgClientOptions, log: NgLogger = noop) {
    this.#opts = { host: opts.host, port: opts.port, timeoutMs: opts.timeoutMs ?? 3000, localAddress: opts.localAddress };
    this.#log = log;
    // The library's own timer only frees its map entry; ours (shorter) decides the outcome.
    this.#client = new rtpengine.Client({
      localAddress: opts.localAddress ?? (opts.host.startsWith('127.') ? opts.host : undefined),
      localPort: 0,
      timeout: this.#opts.timeoutMs + 2000,
    });
    this.#client.on('error', (e: unknown) => {
      this.#log.warn({ err: e instanceof Error ? e.message : String(e) }, 'rtpengine NG client error');
    });
    this.#ready = new Promise((resolve) => this.#client.once('listening', () => resolve()));
  }

  get target(): string {
    return `${this.#opts.host}:${this.#opts.port}`;
  }

  /** Sends one NG command; resolves with the response (result ok/pong), rejects typed. */
  async request(command: NgCommand, msg: NgMessage = {}, timeoutMs = this.#opts.timeoutMs): Promise<NgMessage> {
    if (this.#closed) throw new ClosedError('rtpengine NG client is closed');
    await this.#ready;
    if (this.#closed) throw new ClosedError('rtpengine NG client is closed');
    const id = ++this.#seq;
    const to = { host: this.#opts.host, port: this.#opts.port };
    this.#log.debug({ ng: id, command, callId: msg['call-id'] }, 'NG request');
    return new Promise<NgMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new TimeoutError(`rtpengine ${command} #${id} to ${this.target}: no answer in ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      this.#pending.set(id, { reject, timer });
      const settle = (fn: () => void): void => {
        if (!this.#pending.has(id)) return; // timed out or closed already
        clearTimeout(timer);
        this.#pending.delete(id);
        fn();
      };
      const call = (this.#client[command] as (t: typeof to, m: NgMessage) => Promise<NgMessage>).call(this.#client, to, msg);
      call.then(
        (res) => settle(() => {
          const result = res['result'];
          if (result === 'ok' || result === 'pong') resolve(res);
          else if (result === 'error') reject(new NgError(command, String(res['error-reason'] ?? 'unknown error')));
          else if (result === 'load limit') reject(new NgError(command, 'load limit reached'));
          else reject(new MediaError(`rtpengine ${command}: unexpected result ${JSON.stringify(result)}`));
        }),
        (err: unknown) => settle(() => reject(new MediaError(`rtpengine ${command} to ${this.target} failed`, { cause: err }))),
      );
    });
  }

  async ping(timeoutMs?: number): Promise<void> {
    await this.request('ping', {}, timeoutMs);
  }

  get pending(): number {
    return this.#pending.size;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new ClosedError('rtpengine NG client closed'));
    }
    this.#pending.clear();
    try {
      this.#client.close();
    } catch {
      // already closed
    }
  }
}
