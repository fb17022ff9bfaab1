// `spangate show spans`: the TDM spans of the running daemon (admin method show.spans).
import type { Command } from 'commander';
import { adminRequest } from '../../admin/index.js';
import type { SpanView } from '../../tdm/span-manager.js';
import { liveTarget, type LiveOptions } from '../args.js';
import { out } from '../output.js';
import { addLiveOptions } from './status.js';

/** The `show` group (shared with other show subcommands: found or created). */
export function showGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === 'show')
    ?? program.command('show').description('show live state of the running daemon');
}

export function addShowSpansCommand(program: Command): void {
  addLiveOptions(showGroup(program).command('spans').description('TDM spans: D-channel, alarms, B-channels in use, calls, line counters'))
    .option('--json', 'print the raw JSON answer')
    .action(async (o: LiveOptions & { json?: boolean }) => {
      const t = liveTarget(o);
      const spans = await adminRequest<SpanView[]>(t.socket, 'show.spans', {}, t.timeoutMs);
      if (o.json) {
        out(JSON.stringify(spans, null, 2));
        return;
      }
      out(formatSpans(spans));
    });
}

/** The human-readable table (exported for tests). */
export function formatSpans(spans: SpanView[]): string {
  if (spans.length === 0) return 'no TDM spans configured';
  const lines: string[] = [];
  for (const s of spans) {
    const alarms = s.alarms.length ? s.alarms.join(',').toUpperCase() : 'none';
    lines.push(
      `span ${s.id} (${s.type.toUpperCase()} ${s.side} ${s.switchtype}, trunk ${s.trunk}): D-channel ${s.dchannel}, alarms ${alarms}, ` +
        `channels ${s.inUse}/${s.channels} in use${s.outOfService ? `, ${s.outOfService} out of service` : ''}`,
      `  line ${s.local} <-> ${s.remote}: rx ${s.counters.rxPackets} tx ${s.counters.txPackets} lost ${s.counters.rxLost} ` +
        `slips ${s.counters.slips} malformed ${s.counters.rxMalformed} crc ${s.counters.hdlcCrcErrors} ` +
        `protocol errors ${s.counters.protocolErrors}`,
    );
    for (const c of s.calls) {
      lines.push(`  ch ${String(c.channel).padStart(2)} ${c.direction.padEnd(8)} ${c.state.padEnd(10)} ${c.calling || '-'} -> ${c.called || '-'} (${c.leg})`);
    }
    if (s.lastError) lines.push(`  last error: ${s.lastError}`);
  }
  return lines.join('\n');
}
