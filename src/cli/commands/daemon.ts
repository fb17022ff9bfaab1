// `spangate run` (the daemon in the foreground) and `spangate demo` (src/cli/demo/).
import type { Command } from 'commander';
import type { RunningDaemon } from '../../main.js';

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
    .action(async (o: { config?: string }) => runForeground({ configFile: o.config }));

  program
    .command('demo')
    .description('run the daemon on its embedded defaults with a demo network on loopback (sipp as a "pbx" and a "uc" trunk peer), place a few calls through it and print what happened; then keep running until Ctrl-C')
    .option('--once', 'exit after the summary (exit code 1 when a call did not go as expected)')
    .option('--address <ip>', 'loopback address of the gateway; the pbx and uc peers take the next two', '127.0.77.1')
    .action(async (o: { once?: boolean; address: string }) => {
      const { runDemo } = await import('../demo/demo-command.js');
      process.exit(await runDemo({ once: o.once === true, address: o.address, base: DEMO_CONFIG }));
    });
}

async function runForeground(opts: { configFile?: string }): Promise<void> {
  // The composition root is loaded only by the commands that run the daemon.
  const { startDaemon } = await import('../../main.js');
  const running = await startDaemon(opts);
  exitOnUncaught(running);
  const code = await running.daemon.done;
  running.logs.flush();
  process.exit(code);
}

/** An error nobody caught is logged as fatal and ends the process (systemd restarts it). */
export function exitOnUncaught(running: Pick<RunningDaemon, 'logs'>): void {
  const fatal = (e: unknown): void => {
    running.logs.root.fatal({ err: e }, 'uncaught error; exiting');
    running.logs.flush();
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
