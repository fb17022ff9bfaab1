// Public API of the SIP transaction layer (RFC 3261 §17, RFC 6026). Stable: add, do not rename.
//
// Wiring (the UA core implements TransactionUser):
//   const transport = new SipTransport({ listen: [{ protocol: 'udp', address, port }] });
//   const layer = new TransactionLayer({ transport, tu, timers: { t1: 500 } });
//   transport.on('message', (m) => layer.receive(m));
//   await transport.start();
// Server side: tu.onRequest(txn, invite) → txn.respond(buildResponse(txn.request, 180, undefined, tag)).
//   A CANCEL arrives as its own transaction with `invite` set (answer 200 to it, 487 to the INVITE).
//   ACKs for 2xx come to tu.onAck; 2xx retransmission until ACK is the TU's job (RFC 6026).
// Client side: layer.sendRequest(req, targets, handler) adds our Via/branch; targets from
//   SipResolver.resolve(uri) give RFC 3263 failover. layer.sendCancel(txn, handler) and
//   layer.sendAck(ack, target) cover CANCEL and the 2xx ACK; the non-2xx ACK is automatic.
// Not done here (TU duties): Timer C, 2xx retransmission/Timer-H BYE, answering requests the TU
//   ignores (a server transaction waits for the TU's final response indefinitely).

/** The layer: feed it transport messages, start client transactions, get TU callbacks. */
export { TransactionLayer, type TransactionLayerOptions } from './transaction-layer.js';
/** Client transactions (INVITE and non-INVITE machines, failover, held CANCEL). */
export { ClientTransaction, type ClientState } from './client-transaction.js';
/** Server transactions (INVITE and non-INVITE machines; `respond` drives them). */
export { ServerTransaction, type ServerState } from './server-transaction.js';
/** Interfaces to the transport below and the TU above. */
export type { TransactionTransport, TransactionUser, ClientTransactionHandler, Target } from './types.js';
export type { TransactionStats } from './context.js';
/** Clocks: the real one and a manual one for tests. */
export { systemClock, ManualClock, type Clock, type TimerTarget } from './clock.js';
/** T1/T2/T4 configuration and the derived timers. */
export { timerConfig, DEFAULT_TIMERS, Timer, type TimerConfig } from './timers.js';
/** Message builders: responses, CANCEL, non-2xx ACK, tags, reason phrases. */
export { buildResponse, buildCancel, buildNon2xxAck, newTag, reasonPhrase } from './builders.js';
/** Pooled crypto-random hex (branches, tags). */
export { randomHex } from './random.js';
/** Branch generation and transaction matching keys. */
export { newBranch, serverKey, clientKey, clientKeyOfResponse, mergeKey } from './keys.js';
