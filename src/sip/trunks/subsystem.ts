// The trunk directory as a daemon subsystem: started with the daemon (address resolution and
// OPTIONS keepalive begin), reloaded with it, stopped with it. Its health says how many SIP
// trunks are up; a trunk down makes the gateway degraded, not down (other trunks still work).

import type { SpangateConfig } from '../../config/index.js';
import type { Subsystem, SubsystemHealth } from '../../daemon/subsystem.js';
import type { SipTrunkDirectory } from './directory.js';

export class TrunksSubsystem implements Subsystem {
  readonly name = 'trunks';
  readonly #dir: SipTrunkDirectory;

  constructor(dir: SipTrunkDirectory) {
    this.#dir = dir;
  }

  async start(): Promise<void> {
    this.#dir.start();
  }

  reload(config: SpangateConfig): void {
    this.#dir.reload(config);
  }

  async drain(_deadline: number): Promise<void> {}

  async stop(): Promise<void> {
    this.#dir.stop();
  }

  health(): SubsystemHealth {
    const ids = this.#dir.ids();
    if (ids.length === 0) return { status: 'ok', detail: 'no SIP trunks configured' };
    const states = ids.map((id) => this.#dir.health(id)?.state ?? 'unknown');
    const up = states.filter((s) => s === 'up').length;
    const down = ids.filter((_, i) => states[i] === 'down');
    const detail = `${up} of ${ids.length} SIP trunks up${down.length ? `; down: ${down.join(', ')}` : ''}`;
    return { status: down.length > 0 ? 'degraded' : 'ok', detail };
  }
}
