// Public API of the SIP message layer: a strict parser, a serializer, and the header models.
// Stable: add to it, do not rename.
//
// parseMessage(buf) returns SipRequest | SipResponse or throws SipParseError (reason, sipStatus,
// isRequest, method, headers read so far). Headers are kept as text in wire order (`headers`,
// get/getAll/set/add/prepend/remove/shift); parsed views (vias, from, to, cseq, contacts,
// nameAddrs('route')) are cached snapshots: change a header by setting its text.
// serializeMessage(msg) always writes Content-Length as the body's byte length. Messages built
// in code: new SipRequest('INVITE', parseUri('sip:b@x')).add('From', ...)...

/** Parse a datagram or a framed stream message; throws SipParseError (typed, with sipStatus). */
export { parseMessage, type ParseOptions } from './parser.js';
/** Wire bytes of a message; Content-Length always recomputed in bytes. */
export { serializeMessage, startLine, type SerializeOptions } from './serializer.js';
/** Message model: ordered header fields plus cached parsed views (vias, from, to, cseq, contacts). */
export { SipMessage, SipRequest, SipResponse, CSeq, parseCSeq, type AnySipMessage } from './message.js';
/** Header names: compact forms, canonical keys, list splitting. */
export { headerKey, headerDisplayName, compactName, splitList, LIST_HEADERS, SINGLE_HEADERS, type SipHeader } from './headers.js';
/** URIs: sip, sips, tel parsed; other schemes opaque. */
export { SipUri, parseUri } from './uri.js';
/** name-addr / addr-spec values with header parameters. */
export { NameAddr, parseNameAddr } from './name-addr.js';
/** Via values with branch/received/rport helpers. */
export { Via, parseVia, BRANCH_COOKIE } from './via.js';
/** Ordered case-insensitive parameter lists, quoting helpers. */
export { Params, quote, unquote, type Param } from './params.js';
/** The typed parse error. */
export { SipParseError, type SipParseReason } from './errors.js';
