// A sipp process playing one phone or trunk peer: a scenario from share/sipp/ (shipped in the
// .deb; the demo runs them) or any scenario file, with its keys (-key) and globals (-set). The
// scenarios append where the other side wants media, the final status of a refused call,
// re-INVITE directions and answered OPTIONS to a "media log" file; it is watched here so RTP
// endpoints can follow. At exit the result carries sipp's exit code, its call counts
// (-trace_stat) and its errors (-trace_err). The demo and the integration tests both use this.
import { type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { spawnTied } from '../../process/spawn-tied.js';

/**
 * The shipped sipp scenarios: share/sipp/ beside dist/ (and src/), so the same path works from
 * a source checkout and from the package (/usr/lib/spangate/share/sipp).
 */
export const SCENARIO_DIR = resolve(import.meta.dirname, '../../../share/sipp');

export interface SippPeerOptions {
  /** File name under SCENARIO_DIR, or an absolute path to any scenario. */
  scenario: string;
  /** Local address and port (-i, -p); sipp sends from and listens on them. */
  ip: string;
  port: number;
  /** host:port to call (a UAC); omitted: a UAS. */
  target?: string;
  /** Request-URI user (-s), the called number. */
  called?: string;
  /** Scenario keys (-key); defaults: calling 1000, rtp_ip = ip, rtp_port 9, pt 0, codec PCMU/8000. */
  keys?: Record<string, string>;
  /** Scenario globals (-set); those the scenario declares and this omits are set to 0. */
  sets?: Record<string, string>;
  /** Calls to make or take before exiting (-m); omitted: run until stopped. */
  calls?: number;
  /** Length of each <pause/> without a duration (-d), ms. */
  pauseMs?: number;
  /** Text replacements in the scenario before it runs (sipp takes no keyword in a status line). */
  replace?: [string, string][];
  /** Working directory: media log, errors, statistics (named after scenario and port). */
  dir: string;
  /** sipp gives up after this many seconds and exits with an error; omitted: no limit. */
  timeoutS?: number;
  /** Further sipp options, before the target. */
  extra?: string[];
  /** SIP transport: UDP (default) or TCP (one connection; Debian's sipp has no TLS). */
  transport?: 'udp' | 'tcp';
}

export interface SippResult {
  /** sipp's exit code (0: every call as scripted); null when killed. */
  code: number | null;
  /** Calls that ran to the end of the scenario, and failed ones (-trace_stat). */
  successful: number;
  failed: number;
  /** The tail of sipp's error file and of its stderr. */
  errors: string;
  stderr: string;
}

/** One line of the media log. */
export type PeerEvent =
  | { kind: 'media'; callId: string; ip: string; port: number; pt: number; codec: string; proto: string }
  | { kind: 'final'; callId: string; status: number }
  | { kind: 'reinvite'; callId: string; direction: string }
  | { kind: 'answered'; callId: string; direction: string }
  /** The a=crypto line an SRTP callee was offered: "<tag> <suite> <key-params>". */
  | { kind: 'crypto'; callId: string; line: string }
  /** An OPTIONS request this UAS answered 200. */
  | { kind: 'options'; callId: string }
  /** What a challenging UAS (uas-auth.xml) made of the credentials in the retried INVITE. */
  | { kind: 'auth'; callId: string; result: 'ok' | 'bad' }
  /** The Proxy-Authorization a 407-challenging UAS (uas-auth-proxy.xml) received. */
  | { kind: 'authz'; callId: string; header: string }
  /** A REFER this sipp received, with the user part of its Refer-To. */
  | { kind: 'refer'; callId: string; user: string }
  /** The Replaces header of an INVITE this UAS received (attended transfer). */
  | { kind: 'replaces'; callId: string; value: string }
  /** The Max-Forwards of an INVITE this UAS received. */
  | { kind: 'hops'; callId: string; maxForwards: number }
  /** An INVITE this UAS received, with its Content-Length (0: no offer). */
  | { kind: 'invite'; callId: string; contentLength: number }
  /** An INFO the peer received: its Content-Type, the digit, and Duration= (NaN without one). */
  | { kind: 'info'; callId: string; contentType: string; digit: string; durationMs: number }
  /** An OPTIONS the peer received: its From and Contact header values. */
  | { kind: 'options-headers'; callId: string; from: string; contact: string };

export type PeerEventOf<K extends PeerEvent['kind']> = Extract<PeerEvent, { kind: K }>;

export function parseEvent(line: string): PeerEvent | undefined {
  const f = line.trim().split(/\s+/);
  if (f[0] === 'final' && f.length >= 3) return { kind: 'final', callId: f[1]!, status: Number(f[2]) };
  if (f[0] === 'reinvite' && f.length >= 3) return { kind: 'reinvite', callId: f[1]!, direction: f[2]! };
  if (f[0] === 'auth' && f.length >= 3 && (f[2] === 'ok' || f[2] === 'bad')) return { kind: 'auth', callId: f[1]!, result: f[2] };
  if (f[0] === 'authz' && f.length >= 3) return { kind: 'authz', callId: f[1]!, header: f.slice(2).join(' ') };
  if (f[0] === 'refer' && f.length >= 3) return { kind: 'refer', callId: f[1]!, user: f[2]! };
  if (f[0] === 'replaces' && f.length >= 3) return { kind: 'replaces', callId: f[1]!, value: f.slice(2).join(' ') };
  if (f[0] === 'hops' && f.length >= 3) return { kind: 'hops', callId: f[1]!, maxForwards: Number(f[2]) };
  if (f[0] === 'invite' && f.length >= 3) return { kind: 'invite', callId: f[1]!, contentLength: Number(f[2]) };
  if (f[0] === 'optionshdr' && f.length >= 3) {
    // sipp's header ereg may keep the space after the colon.
    const m = /^from=\s*(\S+)\s+contact=\s*(\S+)$/.exec(f.slice(2).join(' '));
    if (m) return { kind: 'options-headers', callId: f[1]!, from: m[1]!, contact: m[2]! };
  }
  if (f[0] === 'info' && f.length >= 5 && f[3]!.startsWith('sig=') && f[4]!.startsWith('dur=')) {
    const dur = f[4]!.slice(4);
    return { kind: 'info', callId: f[1]!, contentType: f[2]!, digit: f[3]!.slice(4), durationMs: dur === '' ? Number.NaN : Number(dur) };
  }
  if (f[0] === 'options' && f.length >= 2) return { kind: 'options', callId: f[1]! };
  if (f[0] === 'crypto' && f.length >= 3) return { kind: 'crypto', callId: f[1]!, line: f.slice(2).join(' ') };
  if (f[0] === 'answered' && f.length >= 3) return { kind: 'answered', callId: f[1]!, direction: f[2]! };
  if (f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!)) {
    return { kind: 'media', callId: f[0]!, ip: f[1]!, port: Number(f[2]), pt: Number(f[3]), codec: f[4] ?? '', proto: f[5] ?? 'RTP/AVP' };
  }
  return undefined;
}

/** True once something listens on UDP ip:port (/proc/net/udp; the address is little-endian hex). */
export function udpBound(ip: string, port: number): boolean {
  return procNetHas('/proc/net/udp', ip, port, undefined);
}

/** True once something listens (state 0A) on TCP ip:port. */
export function tcpListening(ip: string, port: number): boolean {
  return procNetHas('/proc/net/tcp', ip, port, '0A');
}

function procNetHas(file: string, ip: string, port: number, state: string | undefined): boolean {
  const hexIp = ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).reverse().join('').toUpperCase();
  const want = `${hexIp}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync(file, 'utf8').split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1] === want && (state === undefined || f[3] === state);
  });
}

export class SippPeer {
  readonly events: PeerEvent[] = [];
  /** Resolves when sipp has exited (also after stop()). */
  readonly done: Promise<SippResult>;
  readonly #child: ChildProcess;
  readonly #log: string;
  readonly #errFile: string;
  readonly #statFile: string;
  readonly #watcher: FSWatcher;
  #exited = false;
  #seen = 0;
  #waiters: (() => boolean)[] = [];
  #stderr = '';

  /** Spawns sipp; a UAS may not listen yet (start() waits for that). */
  constructor(readonly opts: SippPeerOptions) {
    const sf = isAbsolute(opts.scenario) ? opts.scenario : join(SCENARIO_DIR, opts.scenario);
    if (!existsSync(sf)) throw new Error(`sipp scenario ${sf} is missing`);
    const name = `${basename(sf, '.xml')}-${opts.port}`;
    this.#log = join(opts.dir, `${name}.media.log`);
    this.#errFile = join(opts.dir, `${name}.errors.log`);
    this.#statFile = join(opts.dir, `${name}.stat.csv`);
    writeFileSync(this.#log, '');
    let text = readFileSync(sf, 'utf8');
    let run = sf;
    if (opts.replace?.length) {
      for (const [from, to] of opts.replace) text = text.split(from).join(to);
      run = join(opts.dir, `${name}.xml`);
      writeFileSync(run, text);
    }
    const globals = /<Global variables="([^"]*)"/.exec(text)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
    const keys = { calling: '1000', rtp_ip: opts.ip, rtp_port: '9', pt: '0', codec: 'PCMU/8000', ...opts.keys, media_log: this.#log };
    const args = [
      '-sf', run, '-nostdin', '-t', opts.transport === 'tcp' ? 't1' : 'u1', '-i', opts.ip, '-p', String(opts.port),
      '-trace_err', '-error_file', this.#errFile, '-trace_stat', '-stf', this.#statFile, '-fd', '1',
      ...(opts.timeoutS !== undefined ? ['-timeout', `${opts.timeoutS}s`, '-timeout_error'] : []),
      ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]),
      ...globals.flatMap((g) => ['-set', g, opts.sets?.[g] ?? '0']),
      ...(opts.called ? ['-s', opts.called] : []),
      ...(opts.calls !== undefined ? ['-m', String(opts.calls)] : []),
      ...(opts.pauseMs !== undefined ? ['-d', String(opts.pauseMs)] : []),
      ...(opts.target ? ['-r', '1', '-l', String(opts.calls ?? 1)] : []),
      ...(opts.extra ?? []),
      ...(opts.target ? [opts.target] : []),
    ];
    // Tied to this process: sipp dies with it, even when it is SIGKILLed.
    this.#child = spawnTied('sipp', args, { cwd: opts.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.#stderr = (this.#stderr + d).slice(-20_000); });
    this.#watcher = watch(this.#log, () => this.#read());
    this.done = new Promise((res) => {
      this.#child.on('error', (e) => { this.#stderr += String(e); });
      this.#child.on('close', (code) => {
        this.#exited = true;
        this.#watcher.close();
        this.#read();
        res({ code, ...this.#stats(), errors: this.#tail(this.#errFile, 4000), stderr: this.#stderr });
      });
    });
  }

  /** Spawns sipp; a UAS is awaited until it listens (rejects if it exits first). */
  static async start(opts: SippPeerOptions, listenTimeoutMs = 30_000): Promise<SippPeer> {
    const p = new SippPeer(opts);
    if (opts.target) return p;
    const end = Date.now() + listenTimeoutMs;
    // sipp says nothing when it has bound its socket: the kernel's table is polled, bounded.
    const bound = opts.transport === 'tcp' ? tcpListening : udpBound;
    while (!p.#exited && !bound(opts.ip, opts.port)) {
      if (Date.now() > end) { await p.stop(); throw new Error(`sipp ${opts.scenario} not listening on ${opts.ip}:${opts.port} after ${listenTimeoutMs} ms`); }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (p.#exited) throw new Error(`sipp ${opts.scenario} exited at start: ${JSON.stringify(await p.done)}`);
    return p;
  }

  get running(): boolean {
    return !this.#exited;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** What sipp said about failures (its error file and stderr), for messages. */
  problems(): string {
    return `${this.#tail(this.#errFile, 4000)}${this.#stderr}`.trim().slice(-1500);
  }

  /** Media-log events of one kind so far. */
  count(kind: PeerEvent['kind']): number {
    return this.events.filter((e) => e.kind === kind).length;
  }

  /**
   * The media-log event of `kind` (matching `where`) number `index` (0: the first), logged
   * already or upcoming; rejects when sipp exits first or after `timeoutMs` (default 60 s).
   */
  waitEvent<K extends PeerEvent['kind']>(kind: K, o: { where?: (e: PeerEventOf<K>) => boolean; index?: number; timeoutMs?: number } = {}): Promise<PeerEventOf<K>> {
    const timeoutMs = o.timeoutMs ?? 60_000;
    const find = (): PeerEventOf<K> | undefined =>
      this.events.filter((e): e is PeerEventOf<K> => e.kind === kind && (o.where?.(e as PeerEventOf<K>) ?? true))[o.index ?? 0];
    return new Promise((res, rej) => {
      const check = (): boolean => {
        const e = find();
        if (e) { clearTimeout(timer); res(e); return true; }
        if (this.#exited) { clearTimeout(timer); rej(new Error(`sipp ${this.opts.scenario} exited without a ${kind} event; events: ${JSON.stringify(this.events)}; ${this.problems()}`)); return true; }
        return false;
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        rej(new Error(`no ${kind} event from sipp ${this.opts.scenario} in ${timeoutMs} ms; events: ${JSON.stringify(this.events)}`));
      }, timeoutMs);
      // Checked now, then again on every change of the log and at exit.
      if (!check()) this.#waiters.push(check);
    });
  }

  /** Kills sipp if it still runs (a UAS runs until stopped) and returns its result. */
  stop(): Promise<SippResult> {
    if (!this.#exited) this.#child.kill('SIGKILL');
    return this.done;
  }

  #read(): void {
    let text: string;
    try { text = readFileSync(this.#log, 'utf8'); } catch { return; }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines.slice(this.#seen)) {
      const e = parseEvent(l);
      if (e) this.events.push(e);
    }
    this.#seen = lines.length;
    this.#waiters = this.#waiters.filter((check) => !check());
  }

  /** Call counts from the last row of the -trace_stat file. */
  #stats(): { successful: number; failed: number } {
    const rows = this.#tail(this.#statFile, Infinity).trim().split('\n');
    if (rows.length < 2) return { successful: 0, failed: 0 };
    const head = rows[0]!.split(';');
    const last = rows[rows.length - 1]!.split(';');
    const col = (name: string): number => Number(last[head.indexOf(name)] ?? 0);
    return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
  }

  #tail(file: string, n: number): string {
    try { return readFileSync(file, 'utf8').slice(-n); } catch { return ''; }
  }
}
