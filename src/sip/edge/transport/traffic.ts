// Message counters by direction and method (requests) or method and status (responses), kept
// by the transport for metrics. Read as a flat record (it crosses the worker boundary):
//   req|in|INVITE          requests received
//   res|out|INVITE|503     responses sent
//   overload|INVITE        503 responses with Retry-After sent to INVITEs (overload and drain refusals)
// Methods outside the RFC set count as OTHER so a peer cannot grow the label set.

import type { AnySipMessage } from '../message/index.js';

const METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER',
  'MESSAGE', 'UPDATE',
]);

const method = (m: string): string => (METHODS.has(m) ? m : 'OTHER');

// Outbound text: the start line and the CSeq method; headers end at the first empty line.
const CSEQ = /\r\n(?:cseq)[ \t]*:[ \t]*\d+[ \t]+([!-~]+)/i;
const RETRY_AFTER = /\r\nretry-after[ \t]*:/i;

export class TrafficCounters {
  private readonly counts = new Map<string, number>();

  private add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** A message parsed from the network. */
  received(msg: AnySipMessage): void {
    if (msg.isRequest) this.add(`req|in|${method(msg.method)}`);
    else {
      let m = 'OTHER';
      try {
        m = method(msg.cseq.method);
      } catch {
        // a response without a usable CSeq still counts
      }
      this.add(`res|in|${m}|${msg.status}`);
    }
  }

  /** A message about to be sent: parsed, or the serialized bytes. */
  sent(msg: AnySipMessage | Buffer): void {
    if (!Buffer.isBuffer(msg)) {
      if (msg.isRequest) this.add(`req|out|${method(msg.method)}`);
      else {
        let m = 'OTHER';
        try {
          m = method(msg.cseq.method);
        } catch {
          // counted as OTHER
        }
        this.add(`res|out|${m}|${msg.status}`);
        if (msg.status === 503 && m === 'INVITE' && msg.has('retry-after')) this.add('overload|INVITE');
      }
      return;
    }
    const end = msg.indexOf('\r\n\r\n');
    const head = msg.toString('latin1', 0, end < 0 ? Math.min(msg.length, 4096) : end + 2);
    const sp = head.indexOf(' ');
    if (sp <= 0) return;
    if (head.startsWith('SIP/2.0 ')) {
      const status = Number(head.slice(8, 11));
      if (!Number.isInteger(status) || status < 100 || status > 699) return;
      const m = method(CSEQ.exec(head)?.[1]?.toUpperCase() ?? 'OTHER');
      this.add(`res|out|${m}|${status}`);
      if (status === 503 && m === 'INVITE' && RETRY_AFTER.test(head)) this.add('overload|INVITE');
    } else {
      this.add(`req|out|${method(head.slice(0, sp))}`);
    }
  }

  /** The counters as a flat record (keys as described at the top of this file). */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
