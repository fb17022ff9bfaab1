// The one error type of the message layer. A caller answers `sipStatus` to a request
// (400, or 505 for a bad version) and drops and counts a bad response.
import { SignalingError } from '../../../errors.js';
import type { SipHeader } from './headers.js';

/** Why a message was refused; stable values a caller may branch or count on. */
export type SipParseReason =
  | 'start-line'
  | 'version'
  | 'header-syntax'
  | 'header-value'
  | 'missing-header'
  | 'duplicate-header'
  | 'content-length'
  | 'truncated'
  | 'too-large'
  | 'cseq-mismatch';

/** A malformed SIP message. `isRequest` is undefined when even the start line was unreadable. */
export class SipParseError extends SignalingError {
  readonly reason: SipParseReason;
  /** true: answer `sipStatus`; false: a response, drop and count; undefined: unknown, drop. */
  readonly isRequest: boolean | undefined;
  /** Method of a request whose start line parsed (never answer a bad ACK). */
  readonly method: string | undefined;
  /** The header fields read before the failure, so a 400 can copy Via/From/To/Call-ID/CSeq. */
  readonly headers: readonly SipHeader[] | undefined;
  /** Name of the offending header, when one is to blame. */
  readonly header: string | undefined;

  constructor(
    message: string,
    reason: SipParseReason,
    opts: {
      sipStatus?: number;
      isRequest?: boolean;
      method?: string;
      headers?: readonly SipHeader[];
      header?: string;
    } = {},
  ) {
    super(message, { sipStatus: opts.sipStatus ?? 400 });
    this.reason = reason;
    this.isRequest = opts.isRequest;
    this.method = opts.method;
    this.headers = opts.headers;
    this.header = opts.header;
  }
}

/** A header value or URI failed its grammar (the message parser adds the message context). */
export function syntaxError(message: string, header?: string): SipParseError {
  return new SipParseError(message, 'header-value', { header });
}
