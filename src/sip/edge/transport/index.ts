// Public API of the SIP transport layer. Stable: add to it, do not rename.

/** UDP/TCP/TLS listeners, connection pool, Via received/rport, response routing, stateless 400. */
export { SipTransport, badRequestResponse, type SipTransportOptions, type TransportStats, type ParseErrorEvent, type SipTransportEvents } from './sip-transport.js';
/** Shared types: endpoints, listener specs, TLS options, inbound messages. */
export type { TransportProtocol, Endpoint, TlsOptions, ListenSpec, BoundListener, InboundMessage, SendErrorHandler } from './types.js';
/** RFC 3263 resolution with an injectable DNS and a static host map. */
export { SipResolver, orderSrv, type DnsLookup, type ResolverOptions, type ResolvedTarget } from './resolver.js';
/** Via helpers: received/rport stamping, response destination, protocol names and default ports. */
export { stampVia, replaceTopVia, responseDestination, protocolOfVia, viaTransport, defaultPort } from './via-routing.js';
/** Content-Length framing of stream transports (exported for tests and fuzzing). */
export { StreamFramer, FramingError, type FramerItem, type FramerLimits } from './stream-framer.js';
