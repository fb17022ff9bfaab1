// The contract between the SIP call flows (src/sip/gateway.ts, src/sip/leg.ts) and the trunk
// runtime (src/sip/trunks/): which trunk an inbound request belongs to, whether it passes the
// ACL and digest auth, where an outbound leg goes and in which order, and what OPTIONS
// keepalive knows of each peer. Types only; the implementation lives in src/sip/trunks/.

import type { TrunkHealth } from '../calls-subsystem/subsystem.js';
import type { Transport, TrunkSettings } from './trunk-profiles.js';

/** Where a request came from, as the SIP edge saw it (source address of the packet/connection). */
export interface SipSource {
  address: string;
  port: number;
  protocol: Transport;
}

/** One resolved next hop of a trunk. */
export interface SipTarget {
  /** Request-URI host part to send to, e.g. `sip:+15551234@192.0.2.10:5061;transport=tls` is built from it. */
  host: string;
  port: number;
  transport: Transport;
  /** false while OPTIONS keepalive has it down (it is then tried last, or not at all). */
  healthy: boolean;
  /**
   * The DNS name this address was resolved from (configured host or SRV target); absent for a
   * configured IP. For the TLS server name and a Request-URI that must carry the peer's FQDN.
   */
  name?: string;
}

/** The minimum of an inbound request the directory needs (drachtio-srf's req fits). */
export interface InboundRequestView {
  method: string;
  uri: string;
  source_address: string;
  /** drachtio-srf types it as a string. */
  source_port: number | string;
  protocol: string;
  get(header: string): string | undefined;
  has(header: string): boolean;
}

/** The minimum of a response object the directory needs to send a challenge/refusal. */
export interface InboundResponder {
  send(status: number, reason?: string, opts?: { headers?: Record<string, string> }): void;
}

export type InboundVerdict =
  | { ok: true; trunk: string; settings: TrunkSettings }
  /** Refused and already answered (403 outside every ACL, 401/407 challenge, 403 bad credentials). */
  | { ok: false; status: number; reason: string };

export interface TrunkDirectory {
  /** Trunk ids configured now. */
  ids(): string[];
  settings(trunk: string): TrunkSettings | undefined;
  /**
   * Classify an inbound request: the trunk whose ACL (or resolved addresses) contains the
   * source, then digest auth when the trunk challenges. A refused request has been answered
   * (403 / 401 with WWW-Authenticate) and counted; the caller just stops.
   */
  admit(req: InboundRequestView, res: InboundResponder): Promise<InboundVerdict>;
  /** Next hops for an outbound leg on this trunk, in the order to try (healthy first). */
  targets(trunk: string): Promise<SipTarget[]>;
  /** Digest credentials to answer this trunk's 401/407 with (srf createUAC `auth`). */
  credentials(trunk: string): { username: string; password: string } | undefined;
  /** The outcome of a request to a target: a timeout/transport error/503 demotes it. */
  report(trunk: string, target: SipTarget, outcome: 'ok' | 'timeout' | 'unreachable' | 'overloaded'): void;
  /** OPTIONS keepalive state for `show trunks` and metrics; undefined: not pinged. */
  health(trunk: string): TrunkHealth | undefined;
}
