// The one place that creates and connects drachtio-srf's Srf (the embedded edge and a real
// drachtio-server look the same from here: a control socket with a shared secret).
// Srf's own reconnect is switched off: it would come back to the same address with plain TCP
// (and the embedded edge gets a new port and secret when it restarts), so the SIP subsystem
// makes a fresh Srf for every connection and tells the call flows through its `ready` event.

import type tls from 'node:tls';
import SrfClass from 'drachtio-srf';
import { TimeoutError } from '../errors.js';

/** A connected drachtio-srf application (the instance type). */
export type Srf = InstanceType<typeof SrfClass>;
export type SrfRequest = SrfClass.SrfRequest;
export type SrfResponse = SrfClass.SrfResponse;

export interface SrfConnectOptions {
  host: string;
  port: number;
  secret: string;
  /** TLS on the control socket (node TLS client options); undefined = plain TCP. */
  tls?: tls.ConnectionOptions;
  /** Connect + authenticate must finish within this. */
  timeoutMs: number;
}

/** What the subsystem needs from a connection (the real one, or a fake in unit tests). */
export interface SrfConnection {
  readonly srf: Srf;
  /** The server's SIP addresses as it reports them (`udp/10.0.0.5:5060,tcp/...`). */
  readonly hostport: string;
  /** Called once when the control connection is lost (not after close()). */
  onGone(cb: (reason: string) => void): void;
  /** Disconnects; idempotent. */
  close(): void;
}

/**
 * A new Srf connected and authenticated to a drachtio control socket. Rejects (and cleans up)
 * when the connection is refused, the secret is wrong, or `timeoutMs` passes.
 */
export function connectSrf(o: SrfConnectOptions): Promise<SrfConnection> {
  const srf = new SrfClass();
  const emitter = srf as unknown as NodeJS.EventEmitter;
  let closed = false;
  let goneCb: ((reason: string) => void) | undefined;
  let lastError = '';
  const close = (): void => {
    if (closed) return;
    closed = true;
    try {
      srf.disconnect();
    } catch {
      // the socket was already gone; srf asserts on that
    }
  };
  // srf re-emits socket errors; without a listener they would be thrown.
  emitter.on('error', (err: Error) => {
    lastError = err.message;
  });
  return new Promise<SrfConnection>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      close();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new TimeoutError(`drachtio control ${o.host}:${o.port}: no connection within ${o.timeoutMs} ms${lastError ? ` (${lastError})` : ''}`, o.timeoutMs)),
      o.timeoutMs,
    );
    emitter.once('connect', (err: Error | null, hostport: string) => {
      if (err) return fail(new Error(`drachtio control ${o.host}:${o.port}: ${err.message}`));
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        srf,
        hostport: hostport ?? '',
        onGone: (cb) => (goneCb = cb),
        close,
      });
    });
    emitter.on('close', () => {
      if (!settled) return fail(new Error(`drachtio control ${o.host}:${o.port}: connection closed${lastError ? ` (${lastError})` : ''}`));
      if (closed) return;
      closed = true;
      goneCb?.(lastError ? `control connection lost: ${lastError}` : 'control connection closed');
    });
    srf.connect({
      host: o.host,
      port: o.port,
      secret: o.secret,
      ...(o.tls ? { tls: o.tls } : {}),
      // attempts start at 1: no reconnect by srf itself (see the top of this file)
      reconnect: { maxAttempts: 1 },
    } as unknown as SrfClass.SrfConfig);
  });
}
