// `spangate run` and `spangate demo`: the daemon in the foreground.
import type { Command } from 'commander';
import { err } from '../output.js';

/**
 * What the demo lays over the defaults: SIP on loopback with ephemeral ports, so the demo runs
 * on a machine where 5060 is taken (the banner prints the ports; SPANGATE_SIP_LISTEN overrides).
 */
export const DEMO_CONFIG = {
  sip: { edge: { listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'tcp', host: '127.0.0.1', port: 0 }] } },
};

const CONFIG_HELP = 'config file (default: $SPANGATE_CONFIG, else /etc/spangate/spangate.json if present, else built-in defaults)';

export function addDaemonCommands(program: Command): void {
  program
    .command('run')
    .description('run the gateway daemon in the foreground; SIGHUP reloads the config, SIGTERM drains and stops')
    .option('-c, --config <file>', CONFIG_HELP)
    .action(async (o: { config?: string }) => runForeground({ configFile: o.config }, false));

  program
    .command('demo')
    .description('run the daemon on its embedded default config (environment overrides apply) and say where to look')
    .action(async () => runForeground({ defaultsOnly: true, baseConfig: DEMO_CONFIG }, true));
}

async function runForeground(opts: { configFile?: string; defaultsOnly?: boolean; baseConfig?: Record<string, unknown> }, banner: boolean): Promise<void> {
  // The composition root is loaded only by the commands that run the daemon.
  const { startDaemon } = await import('../../main.js');
  const running = await startDaemon(opts);
  const fatal = (e: unknown): void => {
    running.logs.root.fatal({ err: e }, 'uncaught error; exiting');
    running.logs.flush();
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  if (banner) {
    const m = running.metricsUrl;
    err(
      [
        'spangate demo: the gateway daemon is running on its embedded default config (no config file read).',
        m ? `  metrics:  ${m}/metrics    health: ${m}/health` : '  metrics:  disabled',
        `  admin:    ${running.adminSocket}    try: ./bin/spangate status`,
        `  sip:      ${running.sip.listeners.map((l) => `${l.proto}/${l.host}:${l.port}`).join('  ') || 'not listening'}    try: ./bin/spangate show sip`,
        `  stop:     Ctrl-C, or kill -TERM ${process.pid} (drains for up to ${running.config.daemon.drainTimeoutMs} ms)`,
        '  logs:     JSON lines on stdout',
        // TODO(next): issues 3-6 grow the demo into real calls (SIP and PRI legs) with a summary.
      ].join('\n'),
    );
  }
  const code = await running.daemon.done;
  running.logs.flush();
  process.exit(code);
}
