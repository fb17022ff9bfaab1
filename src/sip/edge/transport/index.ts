// Public API of the SIP transport layer. Stable: add to it, do not rename.
//
// SipTransport binds UDP/TCP/TLS listeners, emits 'message' (InboundMessage: parsed message,
// source endpoint, local listener, connection id) and 'parse-error' (bad requests already got a
// stateless 400/505 unless answerBadRequests is false; bad responses are dropped and counted in
// stats). Requests received get Via received/rport filled in (forceRport default true).
// send(msg, dest) reuses a pooled connection to dest (or the inbound one from that address or
// Via alias); sendResponse(res, inbound) follows RFC 3261 §18.2.2 / RFC 3581.
// SipResolver turns a URI into ordered targets (NAPTR → SRV → A/AAAA, static host map first).

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
