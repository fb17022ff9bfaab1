// `spangate sim pstn`: the PSTN (network side) or PBX (user side) end of a span, in the
// foreground. Reports every event as a JSON line on stdout; takes JSON-line commands on stdin
// (see PstnSim.command); --call places one call at start. Connected calls carry audio on their
// B-channel: --send-tone/--send-dtmf/--say play on each one as it connects (in that order),
// digits detected in-band are reported, --report-audio reports what arrived as segments.
import { createInterface } from 'node:readline';
import { InvalidArgumentError, type Command } from 'commander';
import { checkSpan } from '../../config/schema/tdm.js';
import { ConfigError, SignalingError } from '../../errors.js';
import { parseTone, type ToneSpec } from '../../tdm/tone-spec.js';
import { out } from '../output.js';

function addrPort(v: string): { addr: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError('must be ADDRESS:PORT');
  return { addr: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

function cause(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 127) throw new InvalidArgumentError('must be a Q.850 cause 1-127');
  return Number(v);
}

function ms(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be milliseconds');
  return Number(v);
}

interface SimOpts {
  local: { addr: string; port: number };
  remote?: { addr: string; port: number };
  type: string;
  side: string;
  switchtype: string;
  call?: string;
  from: string;
  callingName?: string;
  restricted?: boolean;
  answer?: boolean;
  reject?: number;
  hangupAfter?: number;
  cause: number;
  once?: boolean;
  wait: number;
  sendTone?: ToneSpec[];
  sendDtmf?: string;
  say?: string;
  voice?: string;
  reportAudio?: boolean;
}

function tones(v: string): ToneSpec[] {
  try {
    return v.split(',').map((x) => parseTone(x));
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function digits(v: string): string {
  if (!/^[0-9*#A-D]{1,32}$/.test(v)) throw new InvalidArgumentError('must be 1-32 DTMF digits 0-9 * # A-D');
  return v;
}

export function addSimCommands(program: Command): void {
  const sim = program.commands.find((c) => c.name() === 'sim') ?? program.command('sim').description('simulators of the far ends of spangate');
  sim
    .command('pstn')
    .description('the PSTN (network side) or a PBX (user side) on a vspan: place, answer and clear PRI calls; events as JSON lines on stdout, commands as JSON lines on stdin')
    .requiredOption('--local <addr:port>', 'UDP address to bind the span to', addrPort)
    .option('--remote <addr:port>', 'the gateway span\'s address (default: learnt from its first packet)', addrPort)
    .option('--type <e1|t1>', 'line type', 'e1')
    .option('--side <network|user>', 'network: the PSTN (clock master); user: a PBX', 'network')
    .option('--switchtype <name>', 'national, dms100, 4ess, 5ess, euroisdn, qsig', 'euroisdn')
    .option('--call <called>', 'place a call to this number once the line is up')
    .option('--from <calling>', 'calling number of --call', '3000')
    .option('--calling-name <name>', 'calling name of --call (where the switchtype carries it)')
    .option('--restricted', 'present the calling number as restricted')
    .option('--answer', 'answer incoming calls (ALERTING, then CONNECT)')
    .option('--reject <cause>', 'refuse incoming calls with this Q.850 cause', cause)
    .option('--hangup-after <ms>', 'clear each answered call after this long', ms)
    .option('--cause <cause>', 'cause for --hangup-after', cause, 16)
    .option('--once', 'exit when the --call has ended (exit 0 if it was answered)')
    .option('--wait <ms>', 'how long to wait for the line and D-channel to come up', ms, 30_000)
    .option('--send-tone <hz@dbm0[:ms],...>', 'on each connected call, play these tones (e.g. 1004@-10:2000; default 1000 ms)', tones)
    .option('--send-dtmf <digits>', 'on each connected call, then send these digits in-band', digits)
    .option('--say <text>', 'on each connected call, then speak this text (espeak-ng)')
    .option('--voice <name>', 'espeak-ng voice for --say', 'en')
    .option('--report-audio', 'report what arrives on each call\'s B-channel: silence, tone (frequency, level), sound (level)')
    .action(async (o: SimOpts) => runSim(o));
}

async function runSim(o: SimOpts): Promise<void> {
  let span;
  try {
    span = checkSpan({
      id: 'sim', type: o.type, side: o.side, switchtype: o.switchtype, trunk: 'sim',
      localAddress: o.local.addr, localPort: o.local.port, remoteAddress: o.remote?.addr ?? '', remotePort: o.remote?.port ?? 0,
    }, 0);
  } catch (e) {
    throw new ConfigError(`sim pstn: ${(e as Error).message.replace(/^span sim: /, '')}`);
  }
  const { PstnSim } = await import('../../tdm/sim.js');
  const { loadTdmNative } = await import('../../tdm/native.js');
  const incoming = o.reject ? { action: 'reject' as const, cause: o.reject } : o.answer ? { action: 'answer' as const } : { action: 'ring' as const };
  const { loadSimMedia } = await import('../../tdm/native.js');
  const sim = new PstnSim({ span, native: loadTdmNative, incoming, media: loadSimMedia, reportAudio: o.reportAudio === true });
  let answered = false;
  let placed: string | undefined;
  let failure: Error | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => { finish = r; });
  sim.on('report', (r) => {
    out(JSON.stringify({ time: new Date().toISOString(), ...r }));
    if ((r.event === 'answer' || r.event === 'connect') && typeof r.leg === 'string') {
      if (r.leg === placed) answered = true;
      const leg = r.leg;
      void (async () => {
        // What to send on the call, in order; the hang-up timer starts after it.
        try {
          for (const t of o.sendTone ?? []) await sim.sendTone(leg, t);
          if (o.sendDtmf) await sim.sendDtmf(leg, o.sendDtmf);
          if (o.say) await sim.say(leg, o.say, o.voice);
        } catch (e) {
          out(JSON.stringify({ time: new Date().toISOString(), event: 'error', leg, message: (e as Error).message }));
        }
        if (o.hangupAfter !== undefined) setTimeout(() => { sim.hangup(leg, o.cause).catch(() => undefined); }, o.hangupAfter);
      })();
    }
    if (r.event === 'hangup' && o.once && r.leg === placed) {
      if (!answered) failure = new SignalingError(`the call ended unanswered with cause ${String(r.cause)}`, { q850Cause: r.cause as number });
      finish();
    }
  });
  await sim.start();
  const stop = (): void => finish();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let cmd: unknown;
    try {
      cmd = JSON.parse(line);
    } catch {
      out(JSON.stringify({ time: new Date().toISOString(), event: 'error', message: 'commands are JSON objects, one a line' }));
      return;
    }
    if (typeof cmd === 'object' && cmd !== null && (cmd as { cmd?: unknown }).cmd === 'quit') finish();
    else void sim.command(cmd as Record<string, unknown>);
  });
  // stdin closing (a pipe's end) does not stop the simulator: it runs until a signal, quit or --once.
  try {
    await sim.waitUp(o.wait);
    out(JSON.stringify({ time: new Date().toISOString(), event: 'up', span: 'sim' }));
    if (o.call) {
      // 'up' means both ends' layer 2 is established and the line is clean: the SETUP is
      // accepted now (the engine reports DCHAN_UP only then).
      placed = await sim.call({ calling: o.from, called: o.call, callingName: o.callingName, restricted: o.restricted });
    }
  } catch (e) {
    failure = e as Error;
    finish();
  }
  await done;
  rl.close();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await sim.close();
  if (failure) throw failure;
}
