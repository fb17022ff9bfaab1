// Argument parsers and the config/socket resolution shared by the live commands.
import { InvalidArgumentError } from 'commander';
import { loadConfig, resolveConfigFile, type SpangateConfig } from '../config/index.js';

export function parseMs(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || Number(value) > 3_600_000) {
    throw new InvalidArgumentError('must be a whole number of milliseconds between 1 and 3600000');
  }
  return Number(value);
}

export interface LiveOptions {
  config?: string;
  socket?: string;
  timeout?: number;
}

export interface LiveTarget {
  socket: string;
  timeoutMs: number;
  config: SpangateConfig | undefined;
  configFile: string | undefined;
}

/** Where the daemon's admin socket is: --socket, else the config (file + env + defaults). */
export function liveTarget(o: LiveOptions): LiveTarget {
  const configFile = resolveConfigFile(o.config);
  const config = o.socket && !o.config ? undefined : loadConfig(configFile);
  return {
    socket: o.socket ?? config!.admin.socket,
    // A little longer than the daemon's own limit, so its timeout answer arrives first.
    timeoutMs: o.timeout ?? (config?.admin.requestTimeoutMs ?? 5_000) + 1_000,
    config,
    configFile,
  };
}
