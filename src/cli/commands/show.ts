// `spangate show calls|trunks`: live views from the running daemon's admin API. Other parts add
// their own `show` subcommands through the Command this returns (e.g. `show spans`).
import type { Command } from 'commander';
import { adminRequest } from '../../admin/index.js';
import type { CallSummary } from '../../call/registry.js';
import type { TrunkView } from '../../calls-subsystem/subsystem.js';
import { liveTarget, type LiveOptions } from '../args.js';
import { out } from '../output.js';
import { addLiveOptions } from './status.js';

export function addShowCommands(program: Command): Command {
  const show = program.command('show').description('live views of the running daemon');

  addLiveOptions(show.command('calls').description('calls in progress: id, state, age, trunks, numbers, media relay'))
    .option('--json', 'print the raw JSON answer')
    .action(async (o: LiveOptions & { json?: boolean }) => {
      const t = liveTarget(o);
      const calls = await adminRequest<CallSummary[]>(t.socket, 'show.calls', {}, t.timeoutMs);
      out(o.json ? JSON.stringify(calls, null, 2) : formatCalls(calls));
    });

  addLiveOptions(show.command('trunks').description('configured trunks: settings, active calls, attempts, ASR, health'))
    .option('--json', 'print the raw JSON answer')
    .action(async (o: LiveOptions & { json?: boolean }) => {
      const t = liveTarget(o);
      const trunks = await adminRequest<TrunkView[]>(t.socket, 'show.trunks', {}, t.timeoutMs);
      out(o.json ? JSON.stringify(trunks, null, 2) : formatTrunks(trunks));
    });

  return show;
}

/** Columns padded to their widest cell. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(w[i] ?? 0)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export function formatCalls(calls: CallSummary[]): string {
  if (calls.length === 0) return 'no calls in progress';
  const rows = calls.map((c) => [
    c.id, c.state, `${Math.round(c.ageMs / 1000)}s`, c.aTrunk, c.bTrunk ?? '-', c.calling || '(none)', c.called, c.relay ?? '-',
  ]);
  return `${table(['ID', 'STATE', 'AGE', 'FROM', 'TO', 'CALLING', 'CALLED', 'MEDIA'], rows)}\n${calls.length} call${calls.length === 1 ? '' : 's'} in progress`;
}

export function formatTrunks(trunks: TrunkView[]): string {
  if (trunks.length === 0) return 'no trunks configured (sip.trunks and routing.trunks are empty)';
  const rows = trunks.map((t) => [
    t.id,
    t.kind === 'sip' ? `sip/${t.transport}` : 'other',
    t.role ?? '-',
    t.profile ?? '-',
    t.kind === 'sip' ? (t.addresses.length ? t.addresses.join(',') : '(any)') : '-',
    t.kind === 'sip' ? `${t.maxCalls || '∞'}/${t.maxCps || '∞'}` : '-',
    String(t.active),
    String(t.attempts),
    t.attempts ? `${t.asr.toFixed(1)}%` : '-',
    t.health.rttMs !== undefined ? `${t.health.state} ${Math.round(t.health.rttMs)}ms` : t.health.state,
  ]);
  const lines = [table(['TRUNK', 'KIND', 'ROLE', 'PROFILE', 'ADDRESSES', 'CALLS/CPS', 'ACTIVE', 'ATTEMPTS', 'ASR', 'HEALTH'], rows)];
  // Why a SIP trunk is not up, trunk by trunk (OPTIONS keepalive, DNS); other trunks in one line.
  const notes = [...new Set(trunks.filter((t) => t.health.state !== 'up' && t.health.detail).map((t) => (t.kind === 'sip'
    ? `${t.id}: health ${t.health.state}, ${t.health.detail}`
    : `other trunks: health ${t.health.state}, ${t.health.detail}`)))];
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n');
}
