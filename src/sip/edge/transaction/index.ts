// Public API of the SIP transaction layer (RFC 3261 §17, RFC 6026). Stable: add, do not rename.

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
/** Branch generation and transaction matching keys. */
export { newBranch, serverKey, clientKey, clientKeyOfResponse, mergeKey } from './keys.js';
