// `spangate show spans`: the TDM spans of the running daemon (admin method show.spans), and
// `spangate span restart`: RESTART a span or one B-channel of it (admin method span.restart).
import { InvalidArgumentError, type Command } from 'commander';
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

export function addSpanCommands(program: Command): void {
  const span = program.command('span').description('TDM span maintenance on the running daemon');
  addLiveOptions(span.command('restart').description('send RESTART for a span (or one B-channel): its calls clear with cause 41')
    .argument('<span>', 'span id (tdm.spans[].id)'))
    .option('--channel <n>', 'only this B-channel (default: the whole span)', (v: string) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1 || n > 31) throw new InvalidArgumentError('a B-channel number (1-31)');
      return n;
    })
    .action(async (id: string, o: LiveOptions & { channel?: number }) => {
      const t = liveTarget(o);
      const channel = o.channel ?? 0;
      const r = await adminRequest<{ span: string; channel: number; calls: number }>(t.socket, 'span.restart', { span: id, channel }, t.timeoutMs);
      out(`RESTART sent on span ${r.span}${r.channel ? ` channel ${r.channel}` : ''}: ${r.calls} call(s) cleared with cause 41`);
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
        `aborts ${s.counters.hdlcAborts ?? 0} bad length ${s.counters.hdlcLengthErrors ?? 0} ` +
        `protocol errors ${s.counters.protocolErrors} restarts ${s.counters.restarts ?? 0}`,
    );
    for (const c of s.calls) {
      lines.push(`  ch ${String(c.channel).padStart(2)} ${c.direction.padEnd(8)} ${c.state.padEnd(10)} ${c.calling || '-'} -> ${c.called || '-'} (${c.leg})`);
    }
    if (s.lastError) lines.push(`  last error: ${s.lastError}`);
  }
  return lines.join('\n');
}
