// Transaction identifiers: branch generation and the matching keys of RFC 3261 §17.1.3
// (client) and §17.2.3 (server, with the RFC 2543 fallback).
import { randomHex } from './random.js';
import { BRANCH_COOKIE, type SipRequest, type SipResponse, type Via } from '../message/index.js';

const PREFIX = BRANCH_COOKIE + randomHex(6) + '.';
let counter = 0;

/** A new RFC 3261 branch: magic cookie, per-process random prefix, counter. */
export function newBranch(): string {
  counter = (counter + 1) % 0x7fffffff;
  return PREFIX + counter.toString(36) + randomHex(3);
}

/** Client transaction key of a response: top Via branch and CSeq method. */
export function clientKeyOfResponse(res: SipResponse): string | undefined {
  const b = res.topVia?.branch;
  if (b === undefined) return undefined;
  return b + '|' + res.cseq.method;
}

export function clientKey(branch: string, method: string): string {
  return branch + '|' + method;
}

function sentBy(v: Via): string {
  return v.host.toLowerCase() + ':' + (v.port ?? '');
}

/**
 * Server transaction key of a request. `method` overrides the request's (ACK and CANCEL look
 * up their INVITE with 'INVITE').
 */
export function serverKey(req: SipRequest, method: string = req.method === 'ACK' ? 'INVITE' : req.method): string | undefined {
  const top = req.topVia;
  if (top === undefined) return undefined;
  const b = top.branch;
  if (b !== undefined && b.startsWith(BRANCH_COOKIE) && b.length > BRANCH_COOKIE.length) {
    return b + '|' + sentBy(top) + '|' + method;
  }
  // RFC 2543 peers: Request-URI, From tag, Call-ID, CSeq number, top Via (the To tag is left out
  // so the ACK, which carries our tag, still matches its INVITE).
  return ['2543', req.uri.toString(), req.from.tag ?? '', req.callId, req.cseq.seq, top.toString(), method].join('|');
}

/** Key of §8.2.2.2 merged-request detection: From tag, Call-ID, CSeq. */
export function mergeKey(req: SipRequest): string {
  return (req.from.tag ?? '') + '|' + req.callId + '|' + req.cseq.seq + '|' + req.cseq.method;
}
