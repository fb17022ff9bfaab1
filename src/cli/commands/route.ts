// `spangate route test <from-trunk> <number> [--calling N]`: how the running daemon would route
// a call, and why; with --config FILE the file's routing is compiled and asked offline.
import type { Command } from 'commander';
import { adminRequest } from '../../admin/index.js';
import { loadConfig } from '../../config/index.js';
import { AdminError } from '../../errors.js';
import { compileFromConfig, routeTest, type RouteTestResult } from '../../routing/subsystem.js';
import { liveTarget, parseMs } from '../args.js';
import { out } from '../output.js';

interface RouteTestOptions {
  calling?: string;
  config?: string;
  socket?: string;
  timeout?: number;
  json?: boolean;
}

export function addRouteCommands(program: Command): void {
  const route = program.command('route').description('look into call routing');
  route
    .command('test')
    .description('show where a call from <from-trunk> to <number> goes and why (nothing is dialled)')
    .argument('<from-trunk>', 'trunk the call arrives on (SIP trunk id or TDM span group)')
    .argument('<number>', 'called number as that trunk signals it')
    .option('--calling <number>', 'calling number (default: none)')
    .option('-c, --config <file>', 'evaluate this config file\'s routing offline (no daemon needed)')
    .option('-s, --socket <path>', 'admin socket of the running daemon (default: from the default config)')
    .option('-t, --timeout <ms>', 'how long to wait for the daemon (default: admin.requestTimeoutMs)', parseMs)
    .option('--json', 'print the decision as JSON')
    .action(async (fromTrunk: string, called: string, o: RouteTestOptions) => {
      const req = { fromTrunk, called, calling: o.calling ?? '' };
      let res: RouteTestResult;
      let source: string;
      if (o.config !== undefined) {
        res = routeTest(compileFromConfig(loadConfig(o.config)), req);
        source = `offline, routing of ${o.config}`;
      } else {
        const t = liveTarget({ ...(o.socket ? { socket: o.socket } : {}), ...(o.timeout ? { timeout: o.timeout } : {}) });
        try {
          res = await adminRequest<RouteTestResult>(t.socket, 'route.test', req, t.timeoutMs);
        } catch (e) {
          if (e instanceof AdminError && e.reason === 'not-running') {
            throw new AdminError(`${e.message}; to evaluate a config file offline: --config FILE`, 'not-running', { cause: e });
          }
          throw e;
        }
        source = `running daemon at ${t.socket}`;
      }
      if (o.json) {
        out(JSON.stringify({ source, ...res.decision }, null, 2));
        return;
      }
      out(`${res.text}\n(${source})`);
    });
}
