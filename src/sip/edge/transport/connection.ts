// One TCP or TLS connection: framing, keep-alive pongs, and writes queued until connected.
import type { Socket } from 'node:net';
import { FramingError, StreamFramer, type FramerItem } from './stream-framer.js';
import type { BoundListener, Endpoint, SendErrorHandler, TransportProtocol } from './types.js';

const CRLF = Buffer.from('\r\n');

/** What a connection reports to its owner (one object, no per-message closures). */
export interface ConnectionOwner {
  onFrame(conn: StreamConnection, bytes: Buffer): void;
  onFramingError(conn: StreamConnection, err: FramingError): void;
  onClosed(conn: StreamConnection, err: Error | undefined): void;
}

export class StreamConnection {
  readonly id: number;
  readonly protocol: TransportProtocol;
  readonly remote: Endpoint;
  readonly local: BoundListener;
  readonly inbound: boolean;
  /** Keys under which the pool finds this connection (remote address, Via alias). */
  readonly keys = new Set<string>();
  lastActivity = Date.now();
  private connected: boolean;
  private closed = false;
  private queue: Array<{ data: Buffer; onError: SendErrorHandler | undefined }> = [];
  private readonly framer: StreamFramer;

  constructor(
    id: number,
    readonly socket: Socket,
    opts: { protocol: TransportProtocol; remote: Endpoint; local: BoundListener; inbound: boolean; maxMessageBytes: number },
    private readonly owner: ConnectionOwner,
  ) {
    this.id = id;
    this.protocol = opts.protocol;
    this.remote = opts.remote;
    this.local = opts.local;
    this.inbound = opts.inbound;
    this.connected = opts.inbound;
    this.framer = new StreamFramer({ maxMessageBytes: opts.maxMessageBytes, maxHeaderBytes: Math.min(opts.maxMessageBytes, 32768) });
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Bytes held by the framer for a partial message. */
  get pendingBytes(): number {
    return this.framer.pending;
  }

  /** Marks an outbound connection as established and flushes queued writes. */
  markConnected(): void {
    if (this.closed) return;
    this.connected = true;
    const q = this.queue;
    this.queue = [];
    for (const w of q) this.write(w.data, w.onError);
  }

  write(data: Buffer, onError?: SendErrorHandler): void {
    if (this.closed) {
      onError?.(new Error(`connection to ${this.remote.address}:${this.remote.port} is closed`));
      return;
    }
    if (!this.connected) {
      this.queue.push({ data, onError });
      return;
    }
    this.lastActivity = Date.now();
    this.socket.write(data);
  }

  close(err?: Error): void {
    if (this.closed) return;
    this.socket.destroy(err);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.lastActivity = Date.now();
    let items: FramerItem[];
    try {
      items = this.framer.push(chunk);
    } catch (e) {
      this.owner.onFramingError(this, e as FramingError);
      this.close();
      return;
    }
    for (const it of items) {
      if (it.kind === 'message') this.owner.onFrame(this, it.bytes);
      else if (it.kind === 'ping') this.write(CRLF);
      if (this.closed) return;
    }
  };

  private lastError: Error | undefined;

  private readonly onError = (err: Error): void => {
    this.lastError = err;
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    const err = this.lastError ?? new Error(`connection to ${this.remote.address}:${this.remote.port} closed`);
    for (const w of this.queue) w.onError?.(err);
    this.queue = [];
    this.owner.onClosed(this, this.lastError);
  };
}
