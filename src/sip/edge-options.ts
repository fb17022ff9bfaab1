// sip.edge config → what the embedded edge and drachtio-srf are started with. TLS material is
// read here, at (re)start and on every reload, so a certificate replaced on disk is used from
// the next reload (SIGHUP) on, without a restart.

import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { SpangateConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { EdgeTlsMaterial, SipEdgeOptions } from './edge/server.js';
import type { Listener } from './edge/ua/net-adapter.js';

export type EdgeConfig = SpangateConfig['sip']['edge'];

/** A PEM file as text (text also crosses the child-process edge's JSON IPC unchanged). */
function pem(path: string, key: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      path: key, reason: 'cannot read file', cause: err,
    });
  }
}

/** A fresh random shared secret for the embedded edge's control socket (one per start). */
export function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Options for an embedded edge: control on 127.0.0.1, an ephemeral port, the given secret. */
export function embeddedEdgeOptions(e: EdgeConfig, secret: string): Omit<SipEdgeOptions, 'logger'> {
  const t = e.tls;
  const { cert, key, ca } = tlsMaterial(e);
  const sip: Listener[] = e.listen.map((l) => ({
    proto: l.proto,
    host: l.host,
    port: l.port,
    ...(l.advertisedAddress ? { external: l.advertisedAddress } : {}),
    ...(l.proto === 'tls'
      ? { tls: { cert, key, ca, requireClientCert: t.verifyClient, minVersion: t.minVersion } }
      : {}),
  }));
  const hostMap: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(e.hostMap)) hostMap[k] = typeof v === 'string' ? v : [...v];
  return {
    sip,
    control: { host: '127.0.0.1', port: 0, secret },
    tlsClient: { cert, key, ca, verifyServer: t.verifyServer, minVersion: t.minVersion },
    timers: { t1: e.timers.t1Ms, t2: e.timers.t2Ms },
    hostMap,
    overload: overloadOf(e),
  };
}

/** The overload limits the edge takes (also pushed to a running edge on reload). */
export function overloadOf(e: EdgeConfig): { maxInviteRate: number; maxPendingRequests: number; retryAfterSec: number } {
  return {
    maxInviteRate: e.overload.maxInviteRate,
    maxPendingRequests: e.overload.maxPendingRequests,
    retryAfterSec: e.overload.retryAfterS,
  };
}

/** TLS client options for an external drachtio-server's control socket, or undefined. */
export function externalTls(e: EdgeConfig): tls.ConnectionOptions | undefined {
  if (!e.external.tls) return undefined;
  const ca = e.external.ca !== '' ? pem(e.external.ca, 'sip.edge.external.ca') : undefined;
  return { ca, rejectUnauthorized: true, ...(/^[\d.:]+$/.test(e.external.host) ? {} : { servername: e.external.host }) };
}

/**
 * sip.edge.tls's certificate, key and CAs read from disk now, checked to load together (a key
 * that does not match its certificate is refused here, not at the first handshake).
 */
export function tlsMaterial(e: EdgeConfig): EdgeTlsMaterial {
  const t = e.tls;
  const hasCert = t.cert !== '' && t.key !== '';
  const cert = hasCert ? pem(t.cert, 'sip.edge.tls.cert') : undefined;
  const key = hasCert ? pem(t.key, 'sip.edge.tls.key') : undefined;
  const ca = t.ca !== '' ? pem(t.ca, 'sip.edge.tls.ca') : undefined;
  if (cert !== undefined || ca !== undefined) {
    try {
      tls.createSecureContext({ cert, key, ca });
    } catch (err) {
      const path = /key/i.test((err as Error).message) ? 'sip.edge.tls.key' : 'sip.edge.tls.cert';
      throw new ConfigError(`${path}: ${(err as Error).message}`, { path, reason: (err as Error).message, cause: err });
    }
  }
  return { cert, key, ca };
}

/** "CN=sbc.example.com, valid until <date>" for logs, or '' without a certificate. */
export function describeCert(m: EdgeTlsMaterial): string {
  if (typeof m.cert !== 'string') return '';
  try {
    const x = new X509Certificate(m.cert);
    return `${x.subject.replace(/\n/g, ', ')}, valid until ${new Date(x.validTo).toISOString()}`;
  } catch {
    return '';
  }
}
