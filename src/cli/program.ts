// The spangate command line (the program; main.ts runs it). Exit codes: 0 ok, 1 failure, 2 bad arguments or config,
// 3 daemon not running. The only commander user.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { addCdrCommands } from './commands/cdr.js';
import { addConfigCommands } from './commands/config.js';
import { addDaemonCommands } from './commands/daemon.js';
import { addRouteCommands } from './commands/route.js';
import { addShowCommands } from './commands/show.js';
import { addShowSipCommand } from './commands/show-sip.js';
import { addShowSpansCommand, addSpanCommands } from './commands/show-spans.js';
import { addSimCommands } from './commands/sim.js';
import { addStatusCommands } from './commands/status.js';
import { EXIT, report } from './output.js';

export function buildProgram(): Command {
  const program = new Command('spangate');
  program
    .description('spangate: branch-office media gateway (ISDN PRI, SIP, RTP)')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .helpCommand(true);
  addDaemonCommands(program);
  addStatusCommands(program);
  addConfigCommands(program);
  addShowCommands(program);
  addRouteCommands(program);
  addCdrCommands(program);
  addShowSpansCommand(program);
  addSpanCommands(program);
  addShowSipCommand(program);
  addSimCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return report(e);
  }
}
