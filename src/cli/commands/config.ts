// `spangate config validate|show|example|set|unset|reload|diff|history`.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { adminRequest } from '../../admin/index.js';
import {
  configReferenceMarkdown, defaultConfig, defaultConfigFile, diffConfigs, exampleConfigJson, listHistory,
  getPath, loadConfig, redact, resolveConfigFile, setConfigKey, unsetConfigKey, type Change,
} from '../../config/index.js';
import { AdminError } from '../../errors.js';
import { liveTarget, type LiveOptions } from '../args.js';
import { err, out, show } from '../output.js';
import { addLiveOptions } from './status.js';

interface ReloadReply {
  applied: string[];
  restartRequired: string[];
  file: string | null;
}

export function addConfigCommands(program: Command): void {
  const config = program.command('config').description('check, show, generate and change the configuration');

  config
    .command('validate')
    .description('check a config file on its own (environment ignored); exit 2 with file, key and reason when bad')
    .argument('<file>', 'config file to check')
    .action((file: string) => {
      loadConfig(file, { env: {} });
      out(`${file}: ok`);
    });

  addLiveOptions(config.command('show').description('print the effective config (file + environment + defaults), secrets redacted'))
    .option('--running', 'print the running daemon\'s config instead')
    .action(async (o: LiveOptions & { running?: boolean }) => {
      if (o.running) {
        const t = liveTarget(o);
        const r = await adminRequest<{ config: unknown; pendingRestart: string[] }>(t.socket, 'config.get', {}, t.timeoutMs);
        out(JSON.stringify(r.config, null, 2));
        if (r.pendingRestart.length > 0) err(`changed in the file, needs a restart: ${r.pendingRestart.join(', ')}`);
        return;
      }
      out(JSON.stringify(redact(loadConfig(resolveConfigFile(o.config))), null, 2));
    });

  config
    .command('example')
    .description('print the example config generated from the schema (every key at its default)')
    .option('--docs', 'print the key reference (markdown) instead')
    .action((o: { docs?: boolean }) => {
      process.stdout.write(o.docs ? configReferenceMarkdown() : exampleConfigJson());
    });

  addLiveOptions(
    config
      .command('set')
      .description('change one key in the config file: validated first, written atomically, previous version kept')
      .argument('<key>', 'dotted key, e.g. daemon.drainTimeoutMs or log.subsystems.sip')
      .argument('<value>', 'new value (JSON, or plain text for strings)'),
    'config file to change (default: $SPANGATE_CONFIG, else /etc/spangate/spangate.json; created if missing)',
  )
    .option('--reload', 'then ask the running daemon to reload')
    .action(async (key: string, value: string, o: LiveOptions & { reload?: boolean }) => {
      const file = o.config ?? defaultConfigFile();
      const r = setConfigKey(file, key, value);
      if (!r.changed) out(`${key} already ${value} in ${file}; nothing written`);
      else {
        out(`${file}: ${key} = ${value}`);
        if (r.previous) out(`previous version kept at ${r.previous}`);
        out(r.reloadable ? 'a running daemon applies it on reload (SIGHUP or --reload)' : 'a running daemon applies it only after a restart');
      }
      if (!o.reload) return;
      const t = liveTarget({ ...o, config: file });
      try {
        const res = await adminRequest<ReloadReply>(t.socket, 'config.reload', {}, t.timeoutMs);
        out(`daemon reloaded: applied ${list(res.applied)}; needs a restart: ${list(res.restartRequired)}`);
        if (res.file !== resolve(file)) {
          err(`warning: the daemon reads ${res.file ?? 'no file (defaults + environment)'}, not ${file}; your change is not in effect`);
        }
      } catch (e) {
        if (e instanceof AdminError && e.reason === 'not-running') {
          out(`daemon not running (no socket at ${t.socket}); the file is used at its next start`);
          return;
        }
        throw e;
      }
    });

  config
    .command('unset')
    .description('remove one key from the config file so its default applies again (validated, atomic, previous version kept)')
    .argument('<key>', 'dotted key, e.g. metrics.port or log.subsystems.sip')
    .option('-c, --config <file>', 'config file to change (default: $SPANGATE_CONFIG, else /etc/spangate/spangate.json)')
    .action((key: string, o: { config?: string }) => {
      const file = o.config ?? defaultConfigFile();
      const r = unsetConfigKey(file, key);
      if (!r.changed) {
        out(`${key} is not set in ${file}; nothing written`);
        return;
      }
      out(`${file}: ${key} removed (now ${show(getPath(r.config, key) ?? null)})`);
      if (r.previous) out(`previous version kept at ${r.previous}`);
      out(r.reloadable ? 'a running daemon applies it on reload (SIGHUP or spangate config reload)' : 'a running daemon applies it only after a restart');
    });

  addLiveOptions(config.command('reload').description('ask the running daemon to re-read its config file (as SIGHUP does)'))
    .action(async (o: LiveOptions) => {
      const t = liveTarget(o);
      const res = await adminRequest<ReloadReply>(t.socket, 'config.reload', {}, t.timeoutMs);
      out(`daemon reloaded: applied ${list(res.applied)}; needs a restart: ${list(res.restartRequired)}`);
    });

  addLiveOptions(
    config.command('diff').description('compare the config file (with environment) to the running daemon, or to the defaults'),
  )
    .option('--defaults', 'compare to the built-in defaults instead of the running daemon')
    .option('--json', 'print JSON')
    .action(async (o: LiveOptions & { defaults?: boolean; json?: boolean }) => {
      const file = resolveConfigFile(o.config);
      const mine = redact(loadConfig(file));
      let theirs: unknown;
      let label: string;
      if (o.defaults) {
        theirs = redact(defaultConfig());
        label = 'defaults';
      } else {
        const t = liveTarget(o);
        theirs = (await adminRequest<{ config: unknown }>(t.socket, 'config.get', {}, t.timeoutMs)).config;
        label = 'running daemon';
      }
      const changes = diffConfigs(theirs, mine);
      if (o.json) {
        out(JSON.stringify({ file: file ?? null, against: o.defaults ? 'defaults' : 'daemon', changes }, null, 2));
        return;
      }
      out(formatDiff(changes, label, file ?? '(no file: defaults + environment)'));
    });

  config
    .command('history')
    .description('list the kept previous versions of the config file, oldest first')
    .option('-c, --config <file>', 'config file (default: $SPANGATE_CONFIG, else /etc/spangate/spangate.json)')
    .action((o: { config?: string }) => {
      const file = o.config ?? defaultConfigFile();
      const versions = listHistory(file);
      out(versions.length > 0 ? versions.join('\n') : `no previous versions of ${file}`);
    });
}

function list(keys: string[]): string {
  return keys.length > 0 ? keys.join(', ') : 'none';
}

function formatDiff(changes: Change[], label: string, file: string): string {
  if (changes.length === 0) return `no differences between ${file} and the ${label}`;
  const lines = [`${label} -> ${file}:`];
  for (const c of changes) {
    lines.push(`  ${c.path}: ${show(c.from)} -> ${show(c.to)}  (${c.reloadable ? 'reload' : 'restart'})`);
  }
  return lines.join('\n');
}
