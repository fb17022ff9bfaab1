// pino JSON logs: one root logger, one child per subsystem whose level comes from
// log.subsystems (falling back to log.level) and follows config reloads. The only pino user.
import pino from 'pino';
import type { LogLevel, SpangateConfig } from '../config/index.js';
import type { Subsystem } from '../daemon/subsystem.js';

/** The logger type other modules use; they never import pino themselves. */
export type Logger = pino.Logger;

export interface LogSettings {
  readonly level: LogLevel;
  readonly subsystems: Readonly<Record<string, LogLevel>>;
}

export interface LogDestination {
  write(line: string): void;
}

export class LogManager {
  readonly root: Logger;
  private settings: LogSettings;
  private readonly children = new Map<string, Logger>();
  private readonly stream: pino.DestinationStream & { flushSync?: () => void };

  /** `destination` defaults to stdout, written synchronously so nothing is lost at exit. */
  constructor(settings: LogSettings, destination?: LogDestination) {
    this.settings = settings;
    this.stream = destination ?? pino.destination({ dest: 1, sync: true });
    this.root = pino(
      {
        level: 'trace',
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      this.stream,
    );
  }

  /** The logger of one subsystem (created once, then shared). */
  child(subsystem: string): Logger {
    let log = this.children.get(subsystem);
    if (!log) {
      log = this.root.child({ subsystem }, { level: this.levelOf(subsystem) });
      this.children.set(subsystem, log);
    }
    return log;
  }

  levelOf(subsystem: string): LogLevel {
    return this.settings.subsystems[subsystem] ?? this.settings.level;
  }

  /** Applies new levels to every subsystem logger already handed out. */
  reconfigure(settings: LogSettings): void {
    this.settings = settings;
    for (const [name, log] of this.children) log.level = this.levelOf(name);
  }

  flush(): void {
    this.stream.flushSync?.();
  }
}

/** Lets the daemon treat logging like any other subsystem: levels follow config reloads. */
export class LogSubsystem implements Subsystem {
  readonly name = 'log';
  constructor(private readonly manager: LogManager) {}
  async start(): Promise<void> {}
  reload(config: SpangateConfig): void {
    this.manager.reconfigure(config.log);
  }
  async drain(_deadline: number): Promise<void> {}
  async stop(): Promise<void> {
    this.manager.flush();
  }
}
