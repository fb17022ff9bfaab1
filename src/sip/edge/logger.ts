// The logging interface the edge writes to. The composition root passes a pino child logger;
// tests and the standalone entry may pass nothing (silent) or a console adapter.

export interface EdgeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

export const nullLogger: EdgeLogger = { debug: noop, info: noop, warn: noop, error: noop };
