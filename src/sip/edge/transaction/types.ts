// Interfaces between the transaction layer, the transport below and the TU above.
import type { SipRequest, SipResponse } from '../message/index.js';
import type { BoundListener, Endpoint, InboundMessage, SendErrorHandler, TransportProtocol } from '../transport/index.js';
import type { ClientTransaction } from './client-transaction.js';
import type { ServerTransaction } from './server-transaction.js';

/** What the transaction layer needs from the transport (SipTransport provides it). */
export interface TransactionTransport {
  send(
    msg: SipRequest | SipResponse | Buffer,
    dest: Endpoint,
    onError?: SendErrorHandler,
    opts?: { connectionId?: number; servername?: string; local?: BoundListener },
  ): void;
  /** `wire`, when given, is `res` already serialised (sent as is, so retransmissions cost no re-serialising). */
  sendResponse(
    res: SipResponse,
    inbound: Pick<InboundMessage, 'source' | 'connectionId'> & { local?: BoundListener },
    onError?: SendErrorHandler,
    wire?: Buffer,
  ): void;
  listenerFor(protocol: TransportProtocol, remoteAddress?: string): BoundListener | undefined;
}

/** A target to send a request to; `servername` is used for TLS verification. */
export interface Target extends Endpoint {
  servername?: string;
}

/** The transaction user (UA core, proxy core) as the layer calls it. */
export interface TransactionUser {
  /**
   * A new request created a server transaction (anything but ACK). For a CANCEL, `invite` is
   * the INVITE server transaction it matches (RFC 3261 §9.2), or undefined (answer 481).
   */
  onRequest(txn: ServerTransaction, invite: ServerTransaction | undefined): void;
  /**
   * An ACK the transaction layer does not absorb: the ACK for a 2xx (RFC 6026 Accepted state,
   * `invite` set) or one matching no transaction.
   */
  onAck(ack: SipRequest, inbound: InboundMessage, invite: ServerTransaction | undefined): void;
  /** A response matching no client transaction (a 2xx retransmission after the transaction ended). */
  onStrayResponse(res: SipResponse, inbound: InboundMessage): void;
  /**
   * A server transaction ended abnormally: 'timeout' (Timer H, no ACK for a non-2xx) or
   * 'transport-error' (a response could not be sent).
   */
  onServerTransactionError?(txn: ServerTransaction, reason: 'timeout' | 'transport-error', err?: Error): void;
  /** A server transaction ended (any reason: its last timer, an error, or `terminate()`); optional. */
  onServerTerminated?(txn: ServerTransaction): void;
}

/** Callbacks of one client transaction. */
export interface ClientTransactionHandler {
  /** Every provisional, the final response, and in the Accepted state each further 2xx. */
  onResponse(res: SipResponse, txn: ClientTransaction): void;
  /** Timer B or F fired on the last target (the TU acts as if it got a 408). */
  onTimeout(txn: ClientTransaction): void;
  /** The request could not be sent to the last target (the TU acts as if it got a 503). */
  onTransportError(txn: ClientTransaction, err: Error): void;
  /**
   * Timer C fired (only for transactions started with `timerC`): the proxy core must CANCEL
   * when a provisional was received, or act as on a 408 otherwise (RFC 3261 §16.8). Without
   * this callback the layer calls onTimeout (and ends the transaction if nothing was received).
   */
  onTimerC?(txn: ClientTransaction): void;
  /** The transaction is gone (any reason); optional. */
  onTerminated?(txn: ClientTransaction): void;
}
