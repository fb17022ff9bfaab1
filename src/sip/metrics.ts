// spangate_sip_* metrics, read from the embedded edge's counters at scrape time (one stats
// round trip to the edge thread/process per scrape). Keys of the counters: server.ts stats()
// and transport/traffic.ts.

import type { Labels, Metrics } from '../metrics/index.js';

export interface SipMetricsSource {
  readonly connected: boolean;
  edgeStats(): Promise<Record<string, number> | undefined>;
}

export function registerSipMetrics(m: Metrics, src: SipMetricsSource): void {
  const stats = (): Promise<Record<string, number> | undefined> => src.edgeStats();
  m.gauge('spangate_sip_up', 'drachtio-srf is connected to the SIP edge (1) or not (0).', [], (g) => g.set(src.connected ? 1 : 0));
  m.counterFrom('spangate_sip_requests_total', 'SIP requests by direction (in from the network, out to it) and method (OTHER: unknown methods).', ['direction', 'method'], async (c) => {
    for (const [k, v] of Object.entries((await stats()) ?? {})) {
      const p = k.split('|');
      if (p[0] === 'req' && p.length === 3) c.set({ direction: p[1]!, method: p[2]! }, v);
    }
  });
  m.counterFrom('spangate_sip_responses_total', 'SIP responses by direction, method (from CSeq) and status code.', ['direction', 'method', 'code'], async (c) => {
    for (const [k, v] of Object.entries((await stats()) ?? {})) {
      const p = k.split('|');
      if (p[0] === 'res' && p.length === 4) c.set({ direction: p[1]!, method: p[2]!, code: p[3]! }, v);
    }
  });
  const one = (name: string, help: string, pick: (s: Record<string, number>) => [Labels, number][] | number): void => {
    m.counterFrom(name, help, labelNamesOf(pick), async (c) => {
      const s = await stats();
      if (!s) return;
      const r = pick(s);
      if (typeof r === 'number') c.set(r);
      else for (const [l, v] of r) c.set(l, v);
    });
  };
  one('spangate_sip_malformed_total', 'Malformed SIP messages: requests answered 400, others (responses, unanswerable requests) dropped.', (s) => {
    const answered = s['transport.badRequestsAnswered'] ?? 0;
    return [[{ action: 'answered' }, answered], [{ action: 'dropped' }, Math.max(0, (s['transport.parseErrors'] ?? 0) - answered)]];
  });
  one('spangate_sip_overload_rejections_total', 'New INVITEs refused with 503 + Retry-After (edge overload limits, and the gateway while draining).', (s) => s['overload|INVITE'] ?? 0);
  one('spangate_sip_tls_handshake_failures_total', 'TLS handshakes that failed on the SIP TLS listeners.', (s) => s['transport.tlsHandshakeFailures'] ?? 0);
  one('spangate_sip_retransmissions_total', 'Retransmissions sent by the client transactions (RFC 3261 timers A/E/G).', (s) => s['txn.retransmissionsSent'] ?? 0);
  one('spangate_sip_transaction_timeouts_total', 'Client transactions that timed out (Timer B/F).', (s) => s['txn.timeouts'] ?? 0);
  m.gauge('spangate_sip_transactions', 'Live SIP transactions in the edge, by kind (server: requests from the network).', ['kind'], async (g) => {
    const s = await stats();
    g.set({ kind: 'server' }, s?.serverTransactions ?? 0);
    g.set({ kind: 'client' }, s?.clientTransactions ?? 0);
  });
  m.gauge('spangate_sip_dialogs', 'Established SIP dialogs in the edge.', [], async (g) => g.set((await stats())?.dialogs ?? 0));
}

/** The label names a picker reports (tiny pickers: run once on an empty record). */
function labelNamesOf(pick: (s: Record<string, number>) => [Labels, number][] | number): string[] {
  const r = pick({});
  return typeof r === 'number' ? [] : [...new Set(r.flatMap(([l]) => Object.keys(l)))];
}
