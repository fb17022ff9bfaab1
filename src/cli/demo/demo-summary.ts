// What the demo prints after its calls: per call the numbers and trunks, how it ended (SIP
// status at the caller, disposition and Q.850 cause from the CDR), the route, the codec on
// each side, RTP counted by rtpengine per leg, and what each far-end phone received.
import { PSTN_DIGITS, type DemoOutcome } from './demo-calls.js';

const PT_NAMES: Record<number, string> = { 0: 'PCMU', 8: 'PCMA', 9: 'G722', 18: 'G729', 101: 'telephone-event' };

function got(m: Record<number, number>): string {
  const parts = Object.entries(m).map(([pt, n]) => `${n} ${PT_NAMES[Number(pt)] ?? 'pt'} (pt ${pt})`);
  return parts.length ? parts.join(', ') : 'nothing';
}

/** True when the call did what the demo expects of it. */
export function outcomeOk(o: DemoOutcome): boolean {
  if (!o.cdr) return false;
  if (o.spec.from === 'pstn') {
    return o.cdr.disposition === 'answered' && o.pstn !== undefined && Math.abs(o.pstn.heardHz - 1000) <= 25 && o.pstn.ucDigits === PSTN_DIGITS;
  }
  if (!o.spec.answered) return o.status >= 400 && o.cdr.disposition !== 'answered';
  const sum = (m: Record<number, number>): number => Object.values(m).reduce((a, b) => a + b, 0);
  return o.status === 200 && o.cdr.disposition === 'answered' && sum(o.callerGot) > 0 && sum(o.calleeGot) > 0;
}

export function formatSummary(outcomes: DemoOutcome[], where: string): string {
  const lines = [`spangate demo: ${outcomes.length} calls through the gateway (${where})`];
  outcomes.forEach((o, i) => {
    const c = o.cdr;
    const to = o.spec.from === 'pbx' ? 'uc' : 'pbx';
    lines.push(`  ${i + 1}. ${o.spec.what}`);
    if (!c) {
      lines.push(`     ${o.spec.calling} (${o.spec.from}) → ${o.spec.called}: SIP ${o.status || 'none'}, no CDR written${o.problem ? `; ${o.problem}` : ''}`);
      return;
    }
    const dur = c.answeredAt !== null ? `, ${(c.durationMs / 1000).toFixed(1)} s` : '';
    const circuit = (l: { span: string | null; channel: number | null } | null | undefined): string => (l?.span ? ` span ${l.span} ch ${l.channel}` : '');
    const heard = o.spec.from === 'pstn' ? (o.status === 200 ? 'CONNECT on the PRI span' : 'no CONNECT') : `SIP ${o.status || 'none'}`;
    lines.push(`     ${c.a.calling} (${c.a.trunk}${circuit(c.a)}) → ${c.a.called} (${c.b?.trunk ?? 'no trunk'}${circuit(c.b)}): ${c.disposition}${dur}, cause ${c.cause} ${c.causeText}; the caller got ${heard}`);
    c.route.forEach((step, k) => lines.push(`     ${k === 0 ? 'route: ' : '       '}${step.replace(/^→\s*/, '')}`));
    if (c.b) lines.push(`     codecs: ${c.a.codec ?? '-'} on ${c.a.trunk}, ${c.b.codec ?? '-'} on ${c.b.trunk}`);
    if (c.a.rtp || c.b?.rtp) {
      const r = (x: { packetsIn: number; packetsOut: number } | null | undefined, name: string): string =>
        x ? `${name}→gateway ${x.packetsIn}, gateway→${name} ${x.packetsOut}` : `${name}: -`;
      lines.push(`     RTP through rtpengine: ${r(c.a.rtp, c.a.trunk)}; ${r(c.b?.rtp, c.b?.trunk ?? '?')}`);
    }
    if (o.spec.from === 'pstn') {
      const h = o.pstn;
      lines.push(`     the uc phone received ${got(o.calleeGot)} and DTMF "${h?.ucDigits ?? ''}" as RFC 4733 (the PSTN caller sent "${PSTN_DIGITS}" in-band)`);
      lines.push(h && h.tonalWindows > 0
        ? `     the PSTN line heard ${h.heardHz.toFixed(0)} Hz at ${h.heardDbm0.toFixed(1)} dBm0 (the uc phone's 1 kHz G.722 tone), ${h.tonalWindows} windows of 128 ms`
        : '     the PSTN line heard no tone');
    } else if (o.spec.answered) lines.push(`     the ${to} phone received ${got(o.calleeGot)}; the ${o.spec.from} phone received ${got(o.callerGot)}`);
    if (o.problem) lines.push(`     problem: ${o.problem}`);
  });
  const ok = outcomes.filter(outcomeOk).length;
  lines.push(`  ${ok} of ${outcomes.length} calls went as expected. CDRs: ./bin/spangate cdr; live: ./bin/spangate show calls, show trunks`);
  return lines.join('\n');
}
