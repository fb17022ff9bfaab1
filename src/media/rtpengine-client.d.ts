// Types for the parts of rtpengine-client 0.4 spangate uses (the package ships none).
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';
  export type NgMessage = Record<string, unknown>;
  export interface NgTarget {
    port: number;
    host: string;
  }
  export class Client extends EventEmitter {
    constructor(opts: { localAddress?: string; localPort?: number; timeout?: number; rejectOnError?: boolean });
    ping(to: NgTarget, opts?: NgMessage): Promise<NgMessage>;
    offer(to: NgTarget, opts: NgMessage): Promise<NgMessage>;
    answer(to: NgTarget, opts: NgMessage): Promise<NgMessage>;
    delete(to: NgTarget, opts: NgMessage): Promise<NgMessage>;
    query(to: NgTarget, opts: NgMessage): Promise<NgMessage>;
    list(to: NgTarget, opts?: NgMessage): Promise<NgMessage>;
    statistics(to: NgTarget, opts?: NgMessage): Promise<NgMessage>;
    /** NG `play DTMF`. */
    playDTMF(to: NgTarget, opts: NgMessage): Promise<NgMessage>;
    /** NG `block DTMF`. */
    blockDTMF(to: NgTarget, opts: NgMessage): Promise<NgMessage>;
    close(): void;
  }
  export class RtpEngineError extends Error {}
}
