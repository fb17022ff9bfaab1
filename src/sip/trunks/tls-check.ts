// What a TLS trunk's settings need from the SIP edge, which owns TLS for every trunk: one
// listener, one certificate, one minimum version. A trunk asking for more than the edge is set
// up for (mutual TLS without a certificate, TLSv1.3 on an edge that accepts TLSv1.2, no TLS
// listener for the peer to reach us on) would fail only at the first call or be silently
// weaker; these notes are logged when the trunk is configured and shown in its health.
// Pure; an external drachtio-server's TLS is not known here and is not checked.

import type { SpangateConfig } from '../../config/index.js';
import type { TrunkSettings } from '../trunk-profiles.js';

export type EdgeTlsView = Pick<SpangateConfig['sip']['edge'], 'mode' | 'listen' | 'tls'>;

const VERSION_RANK: Record<string, number> = { 'TLSv1.2': 2, 'TLSv1.3': 3 };

/** Problems with a trunk's TLS settings against the edge's; empty when none (or not TLS). */
export function tlsNotes(s: TrunkSettings, edge: EdgeTlsView): string[] {
  if (s.transport !== 'tls' || edge.mode !== 'embedded') return [];
  const notes: string[] = [];
  if (!edge.listen.some((l) => l.proto === 'tls')) {
    notes.push('no TLS listener in sip.edge.listen: the peer cannot reach us over TLS (in-dialog requests, its calls)');
  }
  if (s.mutualTls && (edge.tls.cert === '' || edge.tls.key === '')) {
    notes.push('mutual TLS needs our certificate: set sip.edge.tls.cert and key (the peer will refuse us without one)');
  }
  if (s.mutualTls && !edge.tls.verifyClient && edge.listen.some((l) => l.proto === 'tls')) {
    notes.push('mutual TLS: the peer\'s certificate is not checked on connections it opens (sip.edge.tls.verifyClient is off)');
  }
  if ((VERSION_RANK[s.tlsMinVersion] ?? 0) > (VERSION_RANK[edge.tls.minVersion] ?? 0)) {
    notes.push(`tlsMinVersion ${s.tlsMinVersion} is not enforced: the edge accepts ${edge.tls.minVersion} for every trunk (set sip.edge.tls.minVersion)`);
  }
  return notes;
}
