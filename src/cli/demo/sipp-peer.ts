// A sipp process playing one phone or trunk peer of the demo: a scenario from share/sipp/
// (shipped in the .deb; the integration tests run the same files) with its keys (-key) and globals
// (-set). The scenarios append where the gateway wants media, refusals and re-INVITE
// directions to a "media log" file; it is watched here so the demo's RTP endpoints can follow.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shipped sipp scenarios: share/sipp/ beside dist/ (and src/), so the same path works from
 * a source checkout and from the package (/usr/lib/spangate/share/sipp).
 */
export const SCENARIO_DIR = resolve(import.meta.dirname, '../../../share/sipp');

export interface SippPeerOptions {
  /** File name under SCENARIO_DIR. */
  scenario: string;
  ip: string;
  port: number;
  /** host:port to call (a UAC); omitted: a UAS that runs until stopped. */
  target?: string;
  called?: string;
  keys?: Record<string, string>;
  sets?: Record<string, string>;
  /** Calls before sipp exits (-m). */
  calls?: number;
  /** Length of each bare <pause/> (-d), ms. */
  pauseMs?: number;
  /** Working directory for its logs. */
  dir: string;
  timeoutS?: number;
}

export type PeerEvent =
  | { kind: 'media'; callId: string; ip: string; port: number; pt: number; codec: string }
  | { kind: 'final'; callId: string; status: number }
  | { kind: 'other'; line: string };

function parseEvent(line: string): PeerEvent {
  const f = line.trim().split(/\s+/);
  if (f[0] === 'final' && f.length >= 3) return { kind: 'final', callId: f[1]!, status: Number(f[2]) };
  if (f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!)) {
    return { kind: 'media', callId: f[0]!, ip: f[1]!, port: Number(f[2]), pt: Number(f[3]), codec: f[4] ?? '' };
  }
  return { kind: 'other', line };
}

export class SippPeer {
  readonly events: PeerEvent[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  readonly #log: string;
  readonly #watcher: FSWatcher;
  readonly #errFile: string;
  #done = false;
  #seen = 0;
  #waiters: (() => boolean)[] = [];
  #stderr = '';

  constructor(readonly opts: SippPeerOptions) {
    const sf = join(SCENARIO_DIR, opts.scenario);
    if (!existsSync(sf)) throw new Error(`sipp scenario ${sf} is missing (share/sipp/ is incomplete: reinstall spangate)`);
    this.#log = join(opts.dir, `${opts.scenario}-${opts.port}.media.log`);
    this.#errFile = join(opts.dir, `${opts.scenario}-${opts.port}.errors.log`);
    writeFileSync(this.#log, '');
    const text = readFileSync(sf, 'utf8');
    const globals = /<Global variables="([^"]*)"/.exec(text)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
    const keys = { calling: '1000', rtp_ip: opts.ip, rtp_port: '9', pt: '0', codec: 'PCMU/8000', ...opts.keys, media_log: this.#log };
    const args = [
      '-sf', sf, '-nostdin', '-t', 'u1', '-i', opts.ip, '-p', String(opts.port),
      '-trace_err', '-error_file', this.#errFile, '-timeout', `${opts.timeoutS ?? 3600}s`,
      ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]),
      ...globals.flatMap((g) => ['-set', g, opts.sets?.[g] ?? '0']),
      ...(opts.called ? ['-s', opts.called] : []),
      ...(opts.calls !== undefined ? ['-m', String(opts.calls)] : []),
      ...(opts.pauseMs !== undefined ? ['-d', String(opts.pauseMs)] : []),
      ...(opts.target ? ['-r', '1', '-l', '1', opts.target] : []),
    ];
    this.#child = spawn('sipp', args, { cwd: opts.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.#stderr = (this.#stderr + d).slice(-4000); });
    this.#watcher = watch(this.#log, () => this.#read());
    this.exited = new Promise((res) => {
      this.#child.on('error', (e) => { this.#stderr += String(e); });
      this.#child.on('close', (code) => {
        this.#done = true;
        this.#watcher.close();
        this.#read();
        res(code);
      });
    });
  }

  get running(): boolean {
    return !this.#done;
  }

  /** What sipp said about failures (its error file and stderr), for messages. */
  problems(): string {
    const e = existsSync(this.#errFile) ? readFileSync(this.#errFile, 'utf8') : '';
    return `${e}${this.#stderr}`.trim().slice(-1500);
  }

  /**
   * The event of `kind` number `index` (0: the first), logged already or upcoming; rejects when
   * sipp exits first or after `timeoutMs`.
   */
  waitEvent<K extends PeerEvent['kind']>(kind: K, timeoutMs: number, index = 0): Promise<Extract<PeerEvent, { kind: K }>> {
    return new Promise((res, rej) => {
      const check = (): boolean => {
        const e = this.events.filter((x) => x.kind === kind)[index] as Extract<PeerEvent, { kind: K }> | undefined;
        if (e) { clearTimeout(timer); res(e); return true; }
        if (this.#done) { clearTimeout(timer); rej(new Error(`sipp ${this.opts.scenario} ended before a ${kind} event: ${this.problems()}`)); return true; }
        return false;
      };
      const timer = setTimeout(() => rej(new Error(`sipp ${this.opts.scenario}: no ${kind} event in ${timeoutMs} ms`)), timeoutMs);
      if (!check()) this.#waiters.push(check);
    });
  }

  stop(): Promise<number | null> {
    if (!this.#done) this.#child.kill('SIGKILL');
    return this.exited;
  }

  #read(): void {
    let text: string;
    try { text = readFileSync(this.#log, 'utf8'); } catch { return; }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines.slice(this.#seen)) this.events.push(parseEvent(l));
    this.#seen = lines.length;
    this.#waiters = this.#waiters.filter((check) => !check());
  }
}
