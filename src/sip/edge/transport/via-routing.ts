// Via received/rport stamping on requests received (RFC 3261 §18.2.1, RFC 3581) and the
// destination of responses (RFC 3261 §18.2.2, RFC 3581 §4).
import { Via, type AnySipMessage, type SipRequest } from '../message/index.js';
import type { Endpoint, TransportProtocol } from './types.js';

/** Default port of a transport (RFC 3261 §19.1.2). */
export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' ? 5061 : 5060;
}

/** Lower-case protocol from a Via transport token, or undefined for ones we do not speak. */
export function protocolOfVia(transport: string): TransportProtocol | undefined {
  switch (transport.toUpperCase()) {
    case 'UDP':
      return 'udp';
    case 'TCP':
      return 'tcp';
    case 'TLS':
      return 'tls';
    default:
      return undefined;
  }
}

/** Via transport token of a protocol. */
export function viaTransport(protocol: TransportProtocol): string {
  return protocol.toUpperCase();
}

/**
 * Adds `received` when the sent-by host is not the packet's source address, and fills `rport`
 * when the client asked for it (or always, with `forceRport`, as drachtio does). Rewrites the
 * top Via text of the request. Returns the updated top Via.
 */
export function stampVia(req: SipRequest, source: Endpoint, forceRport: boolean): Via | undefined {
  const top = req.topVia;
  if (top === undefined) return undefined;
  const rport = top.params.get('rport');
  const wantRport = rport === null || (forceRport && rport === undefined);
  const hostDiffers = top.hostname !== source.address;
  if (!hostDiffers && !wantRport) return top;
  const v = top.clone();
  if (hostDiffers || wantRport) v.params.set('received', source.address);
  if (wantRport) v.params.set('rport', String(source.port));
  replaceTopVia(req, v);
  return v;
}

/** Replaces the first Via value of a message, keeping the others. */
export function replaceTopVia(msg: AnySipMessage, via: Via): void {
  msg.shift('via');
  msg.prepend('Via', via.toString());
}

/**
 * Where a response goes when there is no open connection to reuse: `received` (or the sent-by
 * host) and the `rport` value (or the sent-by port, or the default). Undefined for a transport
 * we do not speak.
 */
export function responseDestination(via: Via): Endpoint | undefined {
  const protocol = protocolOfVia(via.transport);
  if (protocol === undefined) return undefined;
  const r = via.received;
  const address = r === undefined ? via.hostname : r.charCodeAt(0) === 0x5b ? r.slice(1, -1) : r;
  const rport = via.rport;
  // rport names the client's UDP source port; a closed stream is reopened to sent-by instead.
  const port = protocol === 'udp' && typeof rport === 'number' && rport > 0 ? rport : (via.port ?? defaultPort(protocol));
  return { protocol, address, port };
}
