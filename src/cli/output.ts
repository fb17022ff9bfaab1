// How the CLI reports outcomes: exit codes and error messages.
//   0 ok; 1 runtime failure (daemon error, timeout); 2 bad arguments or config; 3 daemon not running.
import { AdminError, ConfigError, DaemonError, NativeError, SpangateError, TimeoutError } from '../errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, notRunning: 3 } as const;

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Prints an error the way an operator wants to read it and returns the exit code. */
export function report(e: unknown): number {
  if (e instanceof ConfigError) {
    err(`spangate: config error:\n${indent(e.message)}`);
    return EXIT.usage;
  }
  if (e instanceof AdminError) {
    if (e.reason === 'not-running') {
      err(`spangate: ${e.message}`);
      return EXIT.notRunning;
    }
    if (e.reason === 'remote' && e.remoteCode === 'ECONFIG') {
      err(`spangate: the daemon refused the config and keeps its running one:\n${indent(e.message)}`);
      return EXIT.usage;
    }
    err(`spangate: ${e.message}`);
    return EXIT.failure;
  }
  if (e instanceof TimeoutError || e instanceof DaemonError || e instanceof NativeError || e instanceof SpangateError) {
    err(`spangate: ${e.message}`);
    return EXIT.failure;
  }
  err(`spangate: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return EXIT.failure;
}

export function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}

/** A value for display: strings bare, everything else as JSON. */
export function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
