// `spangate demo`: the gateway daemon on the embedded defaults plus a demo network on loopback
// (a "pbx" and a "uc" SIP trunk whose peers are sipp), a few real calls through it with RTP
// through rtpengine, a printed summary from the CDRs, then running until Ctrl-C (or exiting
// after the summary with --once).
import { cdrFile } from '../../config/schema/cdr.js';
import { loadConfigObject } from '../../config/index.js';
import type { RunningDaemon } from '../../main.js';
import { exitOnUncaught } from '../commands/daemon.js';
import { err } from '../output.js';
import { DemoPeers, runDemoCalls } from './demo-calls.js';
import { demoConfig, demoNet, demoPorts } from './demo-config.js';
import { formatSummary, outcomeOk } from './demo-summary.js';

export interface DemoOptions {
  once: boolean;
  /** The gateway's loopback address; the pbx and uc peers take the next two. */
  address: string;
  /** What the daemon's defaults get laid over first (SIP on loopback ephemeral ports). */
  base: Record<string, unknown>;
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    const plain = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = plain(cur) && plain(v) && k !== 'trunks' ? merge(cur, v) : v;
  }
  return out;
}

function banner(running: RunningDaemon, peers: DemoPeers): string {
  const m = running.metricsUrl;
  const sip = running.sip.listeners.map((l) => `${l.proto}/${l.host}:${l.port}`).join('  ') || 'not listening';
  return [
    'spangate demo: the gateway daemon runs on its embedded defaults plus a demo network (no config file read).',
    `  trunks:   pbx → sipp at ${peers.net.pbx}:${peers.ports.pbx}    uc → sipp at ${peers.net.uc}:${peers.ports.uc}    (OPTIONS every 5 s)`,
    `  pstn:     PRI span pstn1 (T1, National ISDN 2, user side) ${peers.net.gw}:${peers.ports.pstnGw} ⇄ PSTN simulator ${peers.net.gw}:${peers.ports.pstnSim}`,
    '  routing:  site hq: +15551001000-999 owned by pbx, +15552001000-999 owned by uc',
    `  sip:      ${sip}    media: rtpengine on ${peers.net.gw} (NG ${peers.ports.ng}, RTP ${peers.ports.rtpMin}-${peers.ports.rtpMax})`,
    m ? `  metrics:  ${m}/metrics    health: ${m}/health` : '  metrics:  disabled',
    `  admin:    ${running.adminSocket}    try: ./bin/spangate status, show trunks, show calls, cdr`,
    `  stop:     Ctrl-C, or kill -TERM ${process.pid} (drains for up to ${running.config.daemon.drainTimeoutMs} ms)`,
    '  logs:     JSON lines on stdout',
  ].join('\n');
}

/** Runs the demo; resolves with the process exit code. */
export async function runDemo(o: DemoOptions): Promise<number> {
  const net = demoNet(o.address);
  const ports = await demoPorts(net);
  // Where the daemon keeps state with these defaults (and the environment): rtpengine's pid file goes there.
  const stateDir = loadConfigObject(o.base).daemon.stateDir;
  const baseConfig = merge(o.base, demoConfig(net, ports, stateDir));
  const { startDaemon } = await import('../../main.js');
  const peers = new DemoPeers(net, ports);
  await peers.start();
  const killPeers = (): void => { void peers.stop(); };
  process.once('exit', killPeers);
  let running: RunningDaemon;
  try {
    running = await startDaemon({ defaultsOnly: true, baseConfig });
  } catch (e) {
    await peers.stop();
    throw e;
  }
  exitOnUncaught(running);
  // The PRI span's D-channel comes up within a second or two: the banner (and health) wait for it.
  await peers.pstn?.waitUp(30_000).catch((e: Error) => err(`spangate demo: the PSTN span did not come up: ${e.message}`));
  err(banner(running, peers));
  // Ctrl-C while calls are placed: the daemon drains; the demo's sipp go with it.
  void running.daemon.done.then(() => peers.stop());

  const udp = running.sip.listeners.find((l) => l.proto === 'udp');
  let code = 0;
  if (!udp) {
    err('spangate demo: no UDP SIP listener, so no demo calls (set sip.edge.listen / SPANGATE_SIP_LISTEN with a udp entry)');
    code = 1;
  } else if (running.daemon.state === 'running') {
    const host = udp.host === '0.0.0.0' ? '127.0.0.1' : udp.host;
    const outcomes = await runDemoCalls(peers, `${host}:${udp.port}`, cdrFile(running.config), () => running.daemon.state === 'running');
    err(formatSummary(outcomes, `sipp peers for the pbx and uc trunks, media through rtpengine, CDRs in ${cdrFile(running.config)}`));
    if (!outcomes.every(outcomeOk)) code = 1;
  }
  if (o.once) {
    await running.daemon.shutdown('demo --once: summary printed');
  } else if (running.daemon.state === 'running') {
    err('spangate demo: still running; the sipp peers answer calls to +1555100xxxx / +1555200xxxx. Ctrl-C to stop.');
  }
  const exit = await running.daemon.done;
  await peers.stop();
  running.logs.flush();
  return o.once ? code || exit : exit;
}
