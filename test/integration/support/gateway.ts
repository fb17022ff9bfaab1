// The real daemon (`bin/spangate run --config <tmp>`) as a SIP⇄SIP gateway for the sip-gw-*
// integration tests: a generated config with the SIP edge, a managed rtpengine, SIP trunks that
// point at sipp peers, routing and a CDR store, all on one test file's own loopback addresses.
// Each test file takes a slot (0-30, 40-47): addresses 127.<N>.23.<8·slot+1..8·slot+7> (slots
// 40-47: 127.<N>.26.<8·(slot-40)+1..>; N per checkout, testNet in fixtures/daemon.ts), so files
// run in parallel without sharing an address, and the same ports (23000-23999) are used in every slot.
// Everything started here is stopped at teardown, pass or fail.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonProcess, httpGet, testNet, WAIT_MS, type LogLine } from '../../fixtures/daemon.js';
import { tmpDir } from '../../fixtures/tmp.js';

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

/** Fixed ports inside the block 23000-23999; addresses differ per slot. */
export const PORTS = {
  sip: 23060,
  ng: 23223,
  rtpMin: 23300,
  rtpMax: 23499,
  /** sipp peers: UAS listening ports (one per trunk role) and UAC source ports. */
  uas: 23510,
  uac: 23520,
} as const;

/** The loopback addresses of one slot. */
export interface SlotAddresses {
  /** spangate: SIP edge, rtpengine, and the tests' RTP endpoints. */
  gw: string;
  /** The sipp peers behind each trunk (each trunk has its own address: ACLs go by address). */
  pbx: string;
  uc: string;
  uc2: string;
  /** An address in no trunk's ACL. */
  stranger: string;
}

const NET = testNet(23);
/** Slots 40-47 live in a second block (<testNet(26)>.*), the same eight addresses per slot. */
const NET_40 = testNet(26);

export function slot(n: number): SlotAddresses {
  if (!Number.isInteger(n) || n < 0 || (n > 30 && n < 40) || n > 47) throw new Error(`slot ${n} out of range 0-30, 40-47`);
  const a = (k: number): string => (n >= 40 ? `${NET_40}.${8 * (n - 40) + k}` : `${NET}.${8 * n + k}`);
  return { gw: a(1), pbx: a(2), uc: a(3), uc2: a(4), stranger: a(5) };
}

export interface TrunkSpec {
  /** Peer addresses in failover order, `ip:port`. */
  addresses: string[];
  role: 'pstn' | 'pbx' | 'uc' | 'peer';
  codecs?: string[];
  srtp?: 'off' | 'optional' | 'required';
  /** OPTIONS keepalive; off unless given (so UAS sipp peers see only calls and can count them). */
  options?: { intervalS: number; timeoutMs?: number; downAfter?: number; upAfter?: number };
  /** Any further per-trunk setting (src/sip/trunk-profiles.ts). */
  extra?: Record<string, unknown>;
}

export interface GatewaySpec {
  addr: SlotAddresses;
  trunks: Record<string, TrunkSpec>;
  /** routing.sites; default: none (explicit routes only). */
  sites?: unknown[];
  /** routing.routes, first match wins. */
  routes: unknown[];
  /** Extra top-level sections merged over the generated ones (e.g. { media: { timeoutMs: 0 } }). */
  extra?: Record<string, Record<string, unknown>>;
  /** sip.edge settings merged over the generated ones (listen, tls, hostMap). */
  edge?: Record<string, unknown>;
  /** Last word on the generated config (another port block, TDM spans), with the run directory. */
  configure?: (cfg: Record<string, Record<string, unknown>>, dir: string) => void;
}

/** The SIP edge's listeners (sip.edge.listen): UDP on the slot's gateway address. */
export function edgeListen(address: string, port: number): { proto: 'udp'; host: string; port: number }[] {
  return [{ proto: 'udp', host: address, port }];
}

/** The whole config as JSON, paths under `dir`. */
export function gatewayConfig(spec: GatewaySpec, dir: string): Record<string, Record<string, unknown>> {
  const trunks: Record<string, unknown> = {};
  const roles: Record<string, unknown> = {};
  for (const [id, tr] of Object.entries(spec.trunks)) {
    const o = tr.options;
    trunks[id] = {
      addresses: tr.addresses,
      transport: 'udp',
      ...(tr.codecs ? { codecs: tr.codecs } : {}),
      ...(tr.srtp ? { srtp: tr.srtp } : {}),
      options: o
        ? { enabled: true, intervalS: o.intervalS, timeoutMs: o.timeoutMs ?? 500, downAfter: o.downAfter ?? 1, upAfter: o.upAfter ?? 1 }
        : { enabled: false },
      ...tr.extra,
    };
    roles[id] = { role: tr.role, numberFormat: 'e164' };
  }
  const base: Record<string, Record<string, unknown>> = {
    daemon: { pidFile: join(dir, 'run', 'spangate.pid'), stateDir: join(dir, 'state'), drainTimeoutMs: 5_000 },
    admin: { socket: join(dir, 'run', 'admin.sock') },
    log: { level: 'info' },
    metrics: { address: '127.0.0.1', port: 0 },
    cdr: { path: join(dir, 'cdr.sqlite') },
    media: {
      relay: 'rtpengine',
      rtpengine: {
        mode: 'managed', ngHost: spec.addr.gw, ngPort: PORTS.ng, interface: spec.addr.gw,
        portMin: PORTS.rtpMin, portMax: PORTS.rtpMax, pidFile: join(dir, 'run', 'rtpengine.pid'),
        pingIntervalMs: 500, restartMaxMs: 2_000,
      },
    },
    sip: { edge: { listen: edgeListen(spec.addr.gw, PORTS.sip), ...spec.edge }, trunks },
    routing: { trunks: roles, sites: spec.sites ?? [], routes: spec.routes },
  };
  for (const [k, v] of Object.entries(spec.extra ?? {})) base[k] = { ...base[k], ...v };
  return base;
}

export class Gateway {
  private constructor(
    readonly proc: DaemonProcess,
    readonly dir: string,
    readonly configFile: string,
    readonly cdrFile: string,
    readonly adminSocket: string,
    readonly metricsUrl: string,
    readonly addr: SlotAddresses,
  ) {}

  /** Writes the config, starts `spangate run`, and waits until /health says ok. */
  static async start(t: T, spec: GatewaySpec): Promise<Gateway> {
    const dir = tmpDir(t, 'sg-gw-');
    const cfg = gatewayConfig(spec, dir);
    spec.configure?.(cfg, dir);
    const configFile = join(dir, 'spangate.json');
    writeFileSync(configFile, `${JSON.stringify(cfg, null, 2)}\n`);
    // The test fixtures put every daemon's SIP on ephemeral ports through the environment,
    // which wins over the file: say ours there too.
    const listen = JSON.stringify((cfg.sip as { edge: { listen: unknown } }).edge.listen);
    const proc = DaemonProcess.start(t, ['run', '--config', configFile], { SPANGATE_SIP_LISTEN: listen });
    // Stopped gracefully first, so its rtpengine goes with it; DaemonProcess kills what is left.
    t.teardown(async () => {
      proc.kill('SIGTERM');
      await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
    });
    const ready = await proc.waitForEvent('ready');
    const gw = new Gateway(proc, dir, configFile, (cfg.cdr as { path: string }).path,
      (cfg.admin as { socket: string }).socket, ready.metricsUrl as string, spec.addr);
    await gw.waitHealth((h) => h.status === 'ok', 'health ok');
    return gw;
  }

  /** The SIP address sipp calls. */
  get sipTarget(): string {
    return `${this.addr.gw}:${PORTS.sip}`;
  }

  async health(): Promise<{ status: string; subsystems: Record<string, { status: string; detail?: string }> }> {
    const r = await httpGet(`${this.metricsUrl}/health`);
    return JSON.parse(r.body) as { status: string; subsystems: Record<string, { status: string; detail?: string }> };
  }

  /** Polls /health until `pred` holds (the daemon has no push channel for health). */
  async waitHealth(pred: (h: Awaited<ReturnType<Gateway['health']>>) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    await waitUntil(async () => pred(await this.health().catch(() => ({ status: 'unreachable', subsystems: {} }))), what, timeoutMs);
  }

  /** The first daemon log line matching `pred`. */
  waitLog(pred: (l: LogLine) => boolean, what: string, timeoutMs = WAIT_MS): Promise<LogLine> {
    return this.proc.waitFor(pred, what, timeoutMs);
  }

  /** pid of the managed rtpengine, from the daemon's health detail. */
  async rtpenginePid(): Promise<number> {
    const d = (await this.health()).subsystems.media?.detail ?? '';
    const m = /pid (\d+)/.exec(d);
    if (!m) throw new Error(`no rtpengine pid in media health: ${d}`);
    return Number(m[1]);
  }
}

/** Checks `probe` every 100 ms until it is true (a condition to wait on, not a fixed delay). */
export async function waitUntil(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
