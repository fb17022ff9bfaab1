// sipp peers for the SIP gateway tests: runs a scenario from test/fixtures/sipp/ as a UAC or
// UAS on a fixed loopback address, with the scenario's keys (-key) and globals (-set), and
// resolves with its exit code, call counts (-trace_stat) and errors (-trace_err). Scenarios
// append where the other side wants media, the final status of a refused call and re-INVITE
// directions to a "media log" file, which is watched here so the test's RTP endpoints can
// follow. Every sipp still running at teardown is killed.
// TODO(next): src/cli/demo/sipp-peer.ts runs the same scenarios for the demo; this class could
// extend it (adding -trace_stat counts and teardown) instead of keeping its own spawn/watch.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpDir } from '../../fixtures/tmp.js';
import { waitUntil } from './gateway.js';

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

export const SCENARIOS = resolve(import.meta.dirname, '../../fixtures/sipp');

export interface SippOptions {
  /** File name under test/fixtures/sipp/. */
  scenario: string;
  /** Local address and port (-i, -p); sipp sends from and listens on them. */
  ip: string;
  port: number;
  /** host:port to call (UAC); omitted: a UAS. */
  target?: string;
  /** Request-URI user (-s), the called number. */
  called?: string;
  /** Scenario keys (-key); defaults: calling 1000, rtp_ip = ip, rtp_port 9, pt 0, codec PCMU/8000. */
  keys?: Record<string, string>;
  /** Scenario globals (-set); those the scenario declares and this omits are set to 0. */
  sets?: Record<string, string>;
  /** Calls to make or take before exiting (-m); omitted: run until stopped. */
  calls?: number;
  /** Length of each <pause/> without a duration (-d), in ms. */
  pauseMs?: number;
  /** Text replacements in the scenario before it runs (sipp takes no keyword in a status line). */
  replace?: [string, string][];
  /** sipp gives up (and fails) after this many seconds (default 90). */
  timeoutS?: number;
  extra?: string[];
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  errors: string;
  stderr: string;
}

/** One line of the media log. */
export type MediaEvent =
  | { kind: 'media'; callId: string; ip: string; port: number; pt: number; codec: string; proto: string }
  | { kind: 'final'; callId: string; status: number }
  | { kind: 'reinvite'; callId: string; direction: string }
  | { kind: 'answered'; callId: string; direction: string }
  /** The a=crypto line an SRTP callee was offered: "<tag> <suite> <key-params>". */
  | { kind: 'crypto'; callId: string; line: string }
  /** An OPTIONS request this UAS answered 200. */
  | { kind: 'options'; callId: string }
  /** A REFER this sipp received, with the user part of its Refer-To. */
  | { kind: 'refer'; callId: string; user: string }
  /** The Max-Forwards of an INVITE this UAS received. */
  | { kind: 'hops'; callId: string; maxForwards: number }
  /** An INVITE this UAS received, with its Content-Length (0: no offer). */
  | { kind: 'invite'; callId: string; contentLength: number };

function parseEvent(line: string): MediaEvent | undefined {
  const f = line.trim().split(/\s+/);
  if (f[0] === 'final' && f.length >= 3) return { kind: 'final', callId: f[1]!, status: Number(f[2]) };
  if (f[0] === 'reinvite' && f.length >= 3) return { kind: 'reinvite', callId: f[1]!, direction: f[2]! };
  if (f[0] === 'options' && f.length >= 2) return { kind: 'options', callId: f[1]! };
  if (f[0] === 'refer' && f.length >= 3) return { kind: 'refer', callId: f[1]!, user: f[2]! };
  if (f[0] === 'hops' && f.length >= 3) return { kind: 'hops', callId: f[1]!, maxForwards: Number(f[2]) };
  if (f[0] === 'invite' && f.length >= 3) return { kind: 'invite', callId: f[1]!, contentLength: Number(f[2]) };
  if (f[0] === 'crypto' && f.length >= 3) return { kind: 'crypto', callId: f[1]!, line: f.slice(2).join(' ') };
  if (f[0] === 'answered' && f.length >= 3) return { kind: 'answered', callId: f[1]!, direction: f[2]! };
  if (f.length >= 4 && /^\d+$/.test(f[2]!)) return { kind: 'media', callId: f[0]!, ip: f[1]!, port: Number(f[2]), pt: Number(f[3]), codec: f[4] ?? '', proto: f[5] ?? 'RTP/AVP' };
  return undefined;
}

/** True once something listens on UDP ip:port (/proc/net/udp; the address is little-endian hex). */
export function udpBound(ip: string, port: number): boolean {
  const hexIp = ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).reverse().join('').toUpperCase();
  const want = `${hexIp}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === want);
}

export class Sipp {
  readonly done: Promise<SippResult>;
  readonly child: ChildProcess;
  readonly events: MediaEvent[] = [];
  readonly #log: string;
  readonly #watcher: FSWatcher;
  #exited = false;
  #waiters: (() => boolean)[] = [];
  #seen = 0;

  private constructor(readonly opts: SippOptions, dir: string) {
    this.#log = join(dir, 'media.log');
    writeFileSync(this.#log, '');
    let text = readFileSync(join(SCENARIOS, opts.scenario), 'utf8');
    for (const [from, to] of opts.replace ?? []) text = text.split(from).join(to);
    const sf = join(dir, opts.scenario);
    writeFileSync(sf, text);
    const keys: Record<string, string> = {
      calling: '1000', rtp_ip: opts.ip, rtp_port: '9', pt: '0', codec: 'PCMU/8000', ...opts.keys, media_log: this.#log,
    };
    const globals = /<Global variables="([^"]*)"/.exec(text)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
    const sets: Record<string, string> = {};
    for (const g of globals) sets[g] = opts.sets?.[g] ?? '0';
    const args = [
      '-sf', sf, '-nostdin', '-t', 'u1', '-i', opts.ip, '-p', String(opts.port),
      '-trace_err', '-error_file', join(dir, 'errors.log'), '-trace_stat', '-stf', join(dir, 'stat.csv'), '-fd', '1',
      '-timeout', `${opts.timeoutS ?? 90}s`, '-timeout_error', '-max_recv_loops', '1000',
      ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]),
      ...Object.entries(sets).flatMap(([k, v]) => ['-set', k, v]),
      ...(opts.called ? ['-s', opts.called] : []),
      ...(opts.calls !== undefined ? ['-m', String(opts.calls)] : []),
      ...(opts.pauseMs !== undefined ? ['-d', String(opts.pauseMs)] : []),
      ...(opts.target ? ['-r', '1', '-l', String(opts.calls ?? 1)] : []),
      ...(opts.extra ?? []),
      ...(opts.target ? [opts.target] : []),
    ];
    this.child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-20_000); });
    this.#watcher = watch(this.#log, () => this.#read());
    this.done = new Promise((resolveDone) => {
      this.child.on('close', (code) => {
        this.#exited = true;
        this.#watcher.close();
        this.#read();
        resolveDone({ code, ...this.#stats(dir), errors: this.#errors(dir), stderr });
      });
    });
  }

  /** Starts sipp; killed at teardown if still running. A UAS is awaited until it listens. */
  static async start(t: T, opts: SippOptions): Promise<Sipp> {
    const dir = tmpDir(t, 'sg-sipp-');
    const s = new Sipp(opts, dir);
    t.teardown(async () => { await s.stop(); });
    if (!opts.target) {
      await waitUntil(() => s.#exited || udpBound(opts.ip, opts.port), `sipp ${opts.scenario} listening on ${opts.ip}:${opts.port}`);
      if (s.#exited) throw new Error(`sipp ${opts.scenario} exited at start: ${JSON.stringify(await s.done)}`);
    }
    return s;
  }

  /** Kills sipp (a UAS that runs until stopped) and returns its result. */
  async stop(): Promise<SippResult> {
    if (!this.#exited) this.child.kill('SIGKILL');
    return this.done;
  }

  /** Media-log events of one kind so far. */
  count(kind: MediaEvent['kind']): number {
    return this.events.filter((e) => e.kind === kind).length;
  }

  /** Resolves with the first media-log event matching `pred`, already logged or upcoming. */
  waitEvent<K extends MediaEvent['kind']>(kind: K, pred: (e: Extract<MediaEvent, { kind: K }>) => boolean = () => true, timeoutMs = 60_000): Promise<Extract<MediaEvent, { kind: K }>> {
    const find = (): Extract<MediaEvent, { kind: K }> | undefined =>
      this.events.find((e): e is Extract<MediaEvent, { kind: K }> => e.kind === kind && pred(e as Extract<MediaEvent, { kind: K }>));
    return new Promise((res, rej) => {
      const check = (): boolean => {
        const e = find();
        if (e) { clearTimeout(timer); res(e); return true; }
        if (this.#exited) { clearTimeout(timer); rej(new Error(`sipp ${this.opts.scenario} exited without a ${kind} event; events: ${JSON.stringify(this.events)}`)); return true; }
        return false;
      };
      const timer = setTimeout(() => rej(new Error(`no ${kind} event from sipp ${this.opts.scenario} in ${timeoutMs} ms; events: ${JSON.stringify(this.events)}`)), timeoutMs);
      // Checked now, then again on every change of the log and at exit.
      if (!check()) this.#waiters.push(check);
    });
  }

  #read(): void {
    let text = '';
    try { text = readFileSync(this.#log, 'utf8'); } catch { return; }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines.slice(this.#seen)) {
      const e = parseEvent(l);
      if (e) this.events.push(e);
    }
    this.#seen = lines.length;
    this.#waiters = this.#waiters.filter((check) => !check());
  }

  #stats(dir: string): { successful: number; failed: number } {
    const f = readdirSync(dir).find((n) => n === 'stat.csv' || n.endsWith('.csv'));
    if (!f) return { successful: 0, failed: 0 };
    const rows = readFileSync(join(dir, f), 'utf8').trim().split('\n');
    if (rows.length < 2) return { successful: 0, failed: 0 };
    const head = rows[0]!.split(';');
    const last = rows[rows.length - 1]!.split(';');
    const col = (name: string): number => Number(last[head.indexOf(name)] ?? 0);
    return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
  }

  #errors(dir: string): string {
    const f = join(dir, 'errors.log');
    return existsSync(f) ? readFileSync(f, 'utf8').slice(-4000) : '';
  }
}
