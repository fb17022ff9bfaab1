// Shared transport types.
import type { AnySipMessage } from '../message/index.js';

/** Transport protocols the edge speaks. */
export type TransportProtocol = 'udp' | 'tcp' | 'tls';

/** A transport address: protocol plus IP address (no brackets) and port. */
export interface Endpoint {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

/** TLS material (PEM text or bytes), used for listeners and for outbound connections. */
export interface TlsOptions {
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Trusted CAs for verifying the peer (clients for mutual TLS, servers for outbound). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Listener: ask for and verify a client certificate (mutual TLS); refuse clients without one. */
  requireClientCert?: boolean;
  /** Outbound: verify the server certificate (default true). */
  verifyServer?: boolean;
  /** Outbound: SNI / name to check; defaults to the target host name of the request. */
  servername?: string;
  /** Lowest TLS version accepted (node's default, TLSv1.2, when unset). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** One listening socket. */
export interface ListenSpec {
  protocol: TransportProtocol;
  /** IP address to bind (IPv4 or IPv6 literal). */
  address: string;
  /** 0 picks an ephemeral port (read it back from `SipTransport.listeners`). */
  port: number;
  tls?: TlsOptions;
  /** Host written in Via/Contact for this listener (default: the bound address). */
  advertisedHost?: string;
  advertisedPort?: number;
}

/** A started listener with its actual port. */
export interface BoundListener {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** sent-by host and port to write in Via and Contact. */
  host: string;
  hostPort: number;
}

/** A message received from the network, with where it came from. */
export interface InboundMessage {
  message: AnySipMessage;
  source: Endpoint;
  /** The listener (local side) it arrived on. */
  local: BoundListener;
  /** Stream connection it arrived on (undefined for UDP). */
  connectionId: number | undefined;
}

/** Called once if a send fails (connect refused, TLS failure, socket error). */
export type SendErrorHandler = (err: Error) => void;
