// What transactions need from their layer (kept small so transactions are testable alone).
import type { Clock } from './clock.js';
import type { TimerConfig } from './timers.js';
import type { TransactionTransport, TransactionUser } from './types.js';
import type { ClientTransaction } from './client-transaction.js';
import type { ServerTransaction } from './server-transaction.js';

/** Counters read at scrape time. */
export interface TransactionStats {
  clientTransactions: number;
  serverTransactions: number;
  retransmissionsSent: number;
  retransmissionsAbsorbed: number;
  timeouts: number;
  transportErrors: number;
  failovers: number;
  mergedRequests: number;
  strayResponses: number;
  /** Requests moved from UDP to TCP for their size. */
  udpToTcp: number;
  /** Exceptions thrown by TU callbacks run from timers (contained). */
  tuErrors: number;
}

export interface TxnContext {
  readonly clock: Clock;
  readonly timers: TimerConfig;
  readonly transport: TransactionTransport;
  readonly tu: TransactionUser;
  readonly stats: TransactionStats;
  /** Requests larger than this go over TCP instead of UDP (RFC 3261 §18.1.1); undefined: never. */
  readonly udpMaxBytes: number | undefined;
  registerClient(txn: ClientTransaction): void;
  unregisterClient(txn: ClientTransaction): void;
  unregisterServer(txn: ServerTransaction): void;
  /** A TU callback threw from a timer. */
  tuError(err: unknown): void;
}
