// `spangate status` and `spangate version`.
import type { Command } from 'commander';
import { adminRequest } from '../../admin/index.js';
import { VERSION } from '../../version.js';
import { liveTarget, parseMs, type LiveOptions } from '../args.js';
import { out } from '../output.js';

export function addLiveOptions(
  cmd: Command,
  configHelp = 'config file naming the admin socket (default: $SPANGATE_CONFIG, else /etc/spangate/spangate.json)',
): Command {
  return cmd
    .option('-c, --config <file>', configHelp)
    .option('-s, --socket <path>', 'admin socket path (overrides the config)')
    .option('-t, --timeout <ms>', 'how long to wait for the daemon (default: admin.requestTimeoutMs)', parseMs);
}

interface StatusReply {
  version: string;
  pid: number;
  state: string;
  uptimeS: number;
  health: string;
  configFile: string | null;
  adminSocket: string;
  metricsUrl: string | null;
  activeWork: number;
  pendingRestart: string[];
  subsystems: Record<string, { status: string; detail?: string; activeWork?: number }>;
}

export function addStatusCommands(program: Command): void {
  addLiveOptions(
    program.command('status').description('show the running daemon: state, uptime, health of each subsystem'),
  )
    .option('--json', 'print the raw JSON answer')
    .action(async (o: LiveOptions & { json?: boolean }) => {
      const t = liveTarget(o);
      const s = await adminRequest<StatusReply>(t.socket, 'status', {}, t.timeoutMs);
      if (o.json) {
        out(JSON.stringify(s, null, 2));
        return;
      }
      const lines = [
        `spangate ${s.version}: ${s.state} (health ${s.health}), pid ${s.pid}, up ${formatUptime(s.uptimeS)}`,
        `  config:   ${s.configFile ?? '(embedded defaults + environment)'}`,
        `  admin:    ${s.adminSocket}`,
        `  metrics:  ${s.metricsUrl ? `${s.metricsUrl}/metrics` : 'disabled'}`,
        `  active:   ${s.activeWork}`,
        '  subsystems:',
        ...Object.entries(s.subsystems).map(
          ([name, h]) =>
            `    ${name.padEnd(10)} ${h.status.padEnd(9)}${h.detail ?? ''}${h.activeWork !== undefined ? ` (${h.activeWork} active)` : ''}`.trimEnd(),
        ),
      ];
      if (s.pendingRestart.length > 0) lines.push(`  changed, needs a restart: ${s.pendingRestart.join(', ')}`);
      out(lines.join('\n'));
    });

  program
    .command('version')
    .description('print the version of spangate, Node.js and the native library')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      let native: { abi: number | null; version: string | null; error?: string };
      try {
        const { loadNative } = await import('../../ffi/native.js');
        const n = loadNative();
        native = { abi: n.info.abiVersion, version: n.info.version };
      } catch (e) {
        native = { abi: null, version: null, error: (e as Error).message };
      }
      if (o.json) {
        out(JSON.stringify({ version: VERSION, node: process.version, native }, null, 2));
        return;
      }
      const lib = native.abi !== null ? `libspangate ${native.version} (ABI ${native.abi})` : `libspangate not loaded: ${native.error}`;
      out(`spangate ${VERSION}\n  node ${process.version}\n  ${lib}`);
    });
}

function formatUptime(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return [d ? `${d}d` : '', d || h ? `${h}h` : '', d || h || m ? `${m}m` : '', `${sec}s`].join('');
}
