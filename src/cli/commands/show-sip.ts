// `spangate show sip`: the SIP edge of the running daemon (admin method show.sip).
import type { Command } from 'commander';
import { adminRequest } from '../../admin/index.js';
import type { SipView } from '../../sip/subsystem.js';
import { liveTarget, type LiveOptions } from '../args.js';
import { out } from '../output.js';
import { showGroup } from './show-spans.js';
import { addLiveOptions } from './status.js';

export function addShowSipCommand(program: Command): void {
  addLiveOptions(showGroup(program).command('sip').description('SIP edge: mode, listeners with bound ports, srf connection, message counters'))
    .option('--json', 'print the raw JSON answer')
    .action(async (o: LiveOptions & { json?: boolean }) => {
      const t = liveTarget(o);
      const v = await adminRequest<SipView>(t.socket, 'show.sip', {}, t.timeoutMs);
      out(o.json ? JSON.stringify(v, null, 2) : formatSip(v));
    });
}

const sum = (s: Record<string, number>, prefix: string): number =>
  Object.entries(s).reduce((n, [k, v]) => (k.startsWith(prefix) ? n + v : n), 0);

/** The human-readable view (exported for tests). */
export function formatSip(v: SipView): string {
  const lines: string[] = [];
  const how = v.mode === 'embedded'
    ? `embedded edge in a ${v.runIn === 'child' ? 'child process' : 'worker thread'}${v.edge?.pid ? ` (pid ${v.edge.pid})` : ''}`
    : 'external drachtio-server';
  lines.push(`sip: ${how}, control ${v.control ?? '-'}, ${v.connected ? 'srf connected' : `DOWN${v.downReason ? ` (${v.downReason})` : ''}`}` +
    `${v.accepting ? '' : ', draining (new INVITEs and OPTIONS get 503)'}`);
  if (v.edge) lines.push(`edge restarts ${v.edge.restarts}, srf reconnects ${v.reconnects}`);
  else lines.push(`srf reconnects ${v.reconnects}`);
  if (v.listeners.length === 0) lines.push('listeners: none');
  for (const l of v.listeners) {
    lines.push(`  listen ${l.proto.padEnd(3)} ${l.host}:${l.port}${l.advertisedAddress ? ` (advertised ${l.advertisedAddress})` : ''}`);
  }
  const s = v.stats;
  if (s) {
    lines.push(
      `messages: requests in ${sum(s, 'req|in|')} out ${sum(s, 'req|out|')}, responses in ${sum(s, 'res|in|')} out ${sum(s, 'res|out|')}; ` +
        `malformed ${s['transport.parseErrors'] ?? 0} (400 sent ${s['transport.badRequestsAnswered'] ?? 0}); overload 503 ${s['overload|INVITE'] ?? 0}`,
      `now: dialogs ${s.dialogs ?? 0}, server transactions ${s.serverTransactions ?? 0}, client transactions ${s.clientTransactions ?? 0}, ` +
        `app connections ${s.appConnections ?? 0}`,
    );
    const methods = Object.entries(s).filter(([k]) => k.startsWith('req|in|')).map(([k, n]) => `${k.slice(7)} ${n}`);
    if (methods.length) lines.push(`requests in by method: ${methods.join(', ')}`);
  } else if (v.mode === 'embedded') {
    lines.push('counters: not available (edge not running)');
  }
  return lines.join('\n');
}
