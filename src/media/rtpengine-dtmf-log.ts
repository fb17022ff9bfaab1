// Receives rtpengine's DTMF event log (its `--dtmf-log-dest`): one JSON datagram per RFC 4733
// event, sent when rtpengine sees the event's end packet, e.g.
//   {"callid":"c1","source_tag":"c1-a","tags":["c1-b","c1-a"],"type":"DTMF","timestamp":1795275970,
//    "source_ip":"127.0.0.1","event":5,"duration":120,"volume":10}
// `source_tag` is the tag of the leg whose media carried the event; `duration` is in ms.
// Measured with Debian's rtpengine 10.5: one datagram per digit (the end packet's
// retransmissions are not repeated), for calls whose two legs both negotiated telephone-event,
// also with `inject DTMF` and with `block DTMF` on the sender (events then reach nobody but
// this log). Nothing is logged for telephone-event packets on a leg that did not negotiate it.
// Anything that is not such a datagram, or comes from an address not accepted, is counted and
// dropped.

import dgram from 'node:dgram';
import { MediaError } from '../errors.js';

export interface RtpengineDtmfEvent {
  callId: string;
  /** The NG tag of the leg that sent the event. */
  sourceTag: string;
  /** RFC 4733 event code (0-15 for DTMF digits). */
  event: number;
  durationMs: number;
}

export interface DtmfLogLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DtmfLogOptions {
  /** Address to listen on. */
  address: string;
  /** UDP port; 0 = any free one (read `port` after open()). */
  port: number;
  /** Datagrams from other source addresses are dropped (counted as foreign). */
  acceptFrom: (address: string) => boolean;
  onEvent: (ev: RtpengineDtmfEvent) => void;
  log: DtmfLogLogger;
}

/** Largest datagram we look at: rtpengine's JSON is well under 1 KB for two tags. */
const MAX_DATAGRAM = 4096;

/** One event from a datagram, or an Error saying what is wrong with it. */
export function parseDtmfLog(buf: Buffer): RtpengineDtmfEvent | Error {
  if (buf.length > MAX_DATAGRAM) return new Error(`datagram of ${buf.length} bytes`);
  let j: unknown;
  try {
    j = JSON.parse(buf.toString('utf8'));
  } catch {
    return new Error('not JSON');
  }
  if (typeof j !== 'object' || j === null) return new Error('not a JSON object');
  const o = j as Record<string, unknown>;
  if (o['type'] !== 'DTMF') return new Error(`type ${JSON.stringify(o['type'])}`);
  const { callid, source_tag: tag, event, duration } = o;
  if (typeof callid !== 'string' || callid === '') return new Error('no callid');
  if (typeof tag !== 'string' || tag === '') return new Error('no source_tag');
  if (typeof event !== 'number' || !Number.isInteger(event) || event < 0 || event > 255) return new Error('bad event');
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) return new Error('bad duration');
  return { callId: callid, sourceTag: tag, event, durationMs: Math.round(duration) };
}

/** The listener; one per rtpengine the media subsystem uses. */
export class RtpengineDtmfLog {
  readonly #o: DtmfLogOptions;
  readonly #sock: dgram.Socket;
  #events = 0;
  #malformed = 0;
  #foreign = 0;
  #closed = false;

  private constructor(o: DtmfLogOptions) {
    this.#o = o;
    this.#sock = dgram.createSocket(o.address.includes(':') ? 'udp6' : 'udp4');
    this.#sock.on('message', (m, rinfo) => this.#receive(m, rinfo.address));
    this.#sock.on('error', (e) => o.log.warn({ err: e.message }, 'rtpengine DTMF log socket error'));
  }

  static async open(o: DtmfLogOptions): Promise<RtpengineDtmfLog> {
    const l = new RtpengineDtmfLog(o);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error): void => reject(new MediaError(`rtpengine DTMF log: cannot listen on ${o.address}:${o.port}: ${e.message}`, { cause: e }));
      l.#sock.once('error', fail);
      l.#sock.bind(o.port, o.address, () => {
        l.#sock.off('error', fail);
        resolve();
      });
    });
    return l;
  }

  get address(): string {
    return this.#o.address;
  }

  get port(): number {
    return this.#sock.address().port;
  }

  /** `ip:port` as rtpengine's --dtmf-log-dest takes it. */
  get dest(): string {
    return this.#o.address.includes(':') ? `[${this.#o.address}]:${this.port}` : `${this.#o.address}:${this.port}`;
  }

  get counters(): { events: number; malformed: number; foreign: number } {
    return { events: this.#events, malformed: this.#malformed, foreign: this.#foreign };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.close();
  }

  #receive(m: Buffer, from: string): void {
    if (!this.#o.acceptFrom(from)) {
      this.#foreign++;
      this.#o.log.warn({ from }, 'DTMF log datagram from an address that is not rtpengine: dropped');
      return;
    }
    const ev = parseDtmfLog(m);
    if (ev instanceof Error) {
      this.#malformed++;
      this.#o.log.warn({ from, err: ev.message }, 'malformed rtpengine DTMF log datagram: dropped');
      return;
    }
    this.#events++;
    this.#o.log.debug({ callId: ev.callId, tag: ev.sourceTag, event: ev.event, durationMs: ev.durationMs }, 'rtpengine DTMF event');
    try {
      this.#o.onEvent(ev);
    } catch (e) {
      this.#o.log.warn({ err: (e as Error).message }, 'DTMF event handler failed');
    }
  }
}
