// Parser and serializer: compact forms, lists, URIs, Via, byte-correct Content-Length, round trips.
import t from 'tap';
import {
  NameAddr, parseMessage, parseNameAddr, parseUri, parseVia, serializeMessage, SipParseError, SipRequest, SipResponse, SipUri,
} from '../../../../../src/sip/edge/message/index.js';

/** The reason of the SipParseError fn throws ('/response' appended for responses). */
function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SipParseError)) return 'untyped error';
    return e.reason + (e.isRequest === false ? '/response' : '');
  }
  return 'no error';
}

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));

const INVITE = [
  'INVITE sip:bob@biloxi.example.com;transport=tcp SIP/2.0',
  'v: SIP/2.0/UDP pc33.atlanta.example.com:5070;branch=z9hG4bK776asdhds;rport, SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKx;received=192.0.2.7',
  'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK3',
  'Max-Forwards: 70',
  't: Bob <sip:bob@biloxi.example.com>',
  'f: "Alice Ü" <sip:alice@atlanta.example.com>;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'm: <sip:alice@pc33.atlanta.example.com>;expires=60, "Other" <sip:o@x.example.com;transport=tcp>;q=0.5',
  'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
  'Record-Route: <sip:p3.example.com;lr>',
  'k: 100rel, timer',
  'c: application/sdp',
  'WWW-Authenticate: Digest realm="a,b", nonce="x"',
  'l: 9',
  '',
  'v=0\r\nx=ü',
].join('\r\n');

t.test('compact forms, lists and parsed views', async (t) => {
  const m = parseMessage(Buffer.from(INVITE)) as SipRequest;
  t.ok(m instanceof SipRequest);
  t.equal(m.uri.params.get('transport'), 'tcp');
  t.equal(m.vias.length, 3);
  t.equal(m.topVia?.port, 5070);
  t.equal(m.topVia?.rport, null, 'rport present without value');
  t.equal(m.vias[1].host, '[2001:db8::1]');
  t.equal(m.vias[1].hostname, '2001:db8::1');
  t.equal(m.vias[1].received, '192.0.2.7');
  t.equal(m.from.displayName, 'Alice Ü');
  t.equal(m.from.tag, '1928301774');
  t.equal(m.to.tag, undefined);
  t.equal(m.callId, 'a84b4c76e66710@pc33.atlanta.example.com');
  t.equal(m.get('Call-ID'), m.callId);
  t.equal(m.contacts.length, 2);
  t.equal(m.contacts[0].params.get('expires'), '60');
  t.equal(m.contacts[1].uri.params.get('transport'), 'tcp');
  t.same(m.nameAddrs('record-route').map((r) => r.uri.host), ['p1.example.com', 'p2.example.com', 'p3.example.com']);
  t.same(m.getAll('supported'), ['100rel', 'timer']);
  t.same(m.getAll('www-authenticate'), ['Digest realm="a,b", nonce="x"'], 'not a list header');
  t.equal(m.body.toString(), 'v=0\r\nx=ü');
  t.equal(m.body.length, 9, 'Content-Length counts bytes');
});

t.test('serializer: Content-Length in bytes, compact option, round trip', async (t) => {
  const m = parseMessage(Buffer.from(INVITE)) as SipRequest;
  m.body = Buffer.from('ü€😀');
  const out = serializeMessage(m);
  const text = out.toString();
  t.match(text, /\r\nl: 9\r\n/, 'length is bytes, kept in place under its written name');
  const back = parseMessage(out) as SipRequest;
  t.equal(back.body.toString(), 'ü€😀');
  t.same(back.headers, m.headers.map((h) => (h.key === 'content-length' ? { ...h, value: '9' } : h)));
  const plain = new SipResponse(200, 'OK');
  plain.add('Via', m.vias[0].toString()).add('From', m.from.toString()).add('To', m.to.toString() + ';tag=abc');
  plain.add('Call-ID', m.callId).add('CSeq', m.cseq.toString()).add('Contact', '<sip:b@192.0.2.2>');
  const c = serializeMessage(plain, { compact: true }).toString();
  t.match(c, /^SIP\/2\.0 200 OK\r\nv: SIP\/2\.0\/UDP pc33/);
  t.match(c, /\r\nl: 0\r\n\r\n$/);
  const p2 = parseMessage(Buffer.from(c)) as SipResponse;
  t.equal(p2.to.tag, 'abc');
  t.equal(p2.status, 200);
});

t.test('header mutation keeps parsed views right', async (t) => {
  const m = parseMessage(Buffer.from(INVITE)) as SipRequest;
  t.equal(m.vias.length, 3);
  m.prepend('Via', 'SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnew');
  t.equal(m.vias.length, 4);
  t.equal(m.topVia?.branch, 'z9hG4bKnew');
  t.equal(m.shift('via'), 'SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnew');
  t.equal(m.shift('via'), 'SIP/2.0/UDP pc33.atlanta.example.com:5070;branch=z9hG4bK776asdhds;rport');
  t.equal(m.vias.length, 2);
  t.equal(m.topVia?.host, '[2001:db8::1]');
  const to = m.to.clone();
  to.params.set('tag', 'xyz');
  m.set('To', to);
  t.equal(m.to.tag, 'xyz');
  t.equal(m.remove('record-route'), 2);
  t.same(m.nameAddrs('record-route'), []);
});

t.test('clone gives an independent header list', async (t) => {
  const m = parseMessage(Buffer.from(INVITE)) as SipRequest;
  const c = m.clone();
  c.prepend('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
  c.uri.params.set('transport', 'udp');
  t.equal(m.vias.length, 3);
  t.equal(c.vias.length, 4);
  t.equal(m.uri.params.get('transport'), 'tcp');
  t.ok(c.body.equals(m.body));
  const r = new SipResponse(180, 'Ringing').add('Via', 'SIP/2.0/UDP a;branch=z9hG4bK1');
  const rc = r.clone();
  rc.shift('via');
  t.equal(r.vias.length, 1);
  t.equal(rc.vias.length, 0);
});

t.test('URIs', async (t) => {
  const u = parseUri('sips:alice:secret@[2001:db8::10]:5061;transport=tls;lr?Subject=hi&Priority=urgent');
  t.equal(u.scheme, 'sips');
  t.equal(u.user, 'alice');
  t.equal(u.password, 'secret');
  t.equal(u.host, '[2001:db8::10]');
  t.equal(u.hostname, '2001:db8::10');
  t.equal(u.port, 5061);
  t.equal(u.params.get('TRANSPORT'), 'tls');
  t.equal(u.params.get('lr'), null);
  t.equal(u.headers.get('priority'), 'urgent');
  t.equal(u.toString(), 'sips:alice:secret@[2001:db8::10]:5061;transport=tls;lr?Subject=hi&Priority=urgent');
  const tel = parseUri('tel:+1-201-555-0123;phone-context=example.com');
  t.equal(tel.scheme, 'tel');
  t.equal(tel.user, '+1-201-555-0123');
  t.equal(tel.params.get('phone-context'), 'example.com');
  t.equal(tel.toString(), 'tel:+1-201-555-0123;phone-context=example.com');
  t.equal(parseUri('SIP:Host.Example.com').scheme, 'sip');
  t.equal(parseUri('urn:service:sos').opaque, 'service:sos');
  const built = new SipUri({ user: 'x', host: '127.0.0.1', port: 5080 });
  built.params.set('transport', 'udp');
  t.equal(built.toString(), 'sip:x@127.0.0.1:5080;transport=udp');
  for (const bad of ['sip:', 'sip:@host', 'sip:a@', 'sip:a@host:99999', 'sip:a@host:', 'sip:a b@host', 'sip:a@host;', 'sip:a@host?x', 'sip:a@[::1', '<sip:a@b>', 'tel:', 'sip:a%zz@host']) {
    t.throws(() => parseUri(bad), SipParseError, `refuses ${bad}`);
  }
});

t.test('name-addr and addr-spec', async (t) => {
  const a = parseNameAddr('sip:carol@chicago.example.com;tag=5');
  t.equal(a.uri.params.size, 0, 'addr-spec parameters belong to the header');
  t.equal(a.tag, '5');
  const b = parseNameAddr('  Carol  Smith <sip:carol@chicago.example.com;transport=udp> ; tag = 7 ');
  t.equal(b.displayName, 'Carol  Smith');
  t.equal(b.uri.params.get('transport'), 'udp');
  t.equal(b.tag, '7');
  t.equal(new NameAddr(parseUri('sip:x@y'), 'He said "hi"').toString(), '"He said \\"hi\\"" <sip:x@y>');
  t.equal(parseNameAddr('"a\\"b" <sip:x@y>').displayName, 'a"b');
  for (const bad of ['', '"open <sip:a@b>', 'x <sip:a@b', 'sip:a@b;;tag=1', 'sip:a@b;tag=', 'Bell, A <sip:a@b>', '< sip:a@b>']) {
    t.throws(() => parseNameAddr(bad), SipParseError, `refuses ${JSON.stringify(bad)}`);
  }
});

t.test('Via', async (t) => {
  const v = parseVia('SIP / 2.0 / udp  host.example.com : 5062 ; branch = z9hG4bKa ; received=10.1.1.1;rport=7777;ttl=16');
  t.equal(v.transport, 'UDP');
  t.equal(v.host, 'host.example.com');
  t.equal(v.port, 5062);
  t.equal(v.branch, 'z9hG4bKa');
  t.equal(v.received, '10.1.1.1');
  t.equal(v.rport, 7777);
  t.equal(v.toString(), 'SIP/2.0/UDP host.example.com:5062;branch=z9hG4bKa;received=10.1.1.1;rport=7777;ttl=16');
  t.equal(parseVia('SIP/2.0/UDP [2001:db8::5]:5060;received=2001:db8::9;rport=1').received, '2001:db8::9', 'bare IPv6 received');
  for (const bad of ['SIP/2.0 host', 'SIP/2.0/UDP', 'SIP/2.0/UDP h;rport=x', 'SIP/2.0/UDP h;ttl=300', 'SIP/2.0/UDP h;branch', 'SIP/2.0/UDP h:0x']) {
    t.throws(() => parseVia(bad), SipParseError, `refuses ${bad}`);
  }
});

t.test('framing rules: datagram vs stream, bad Content-Length, LF-only, leading CRLF', async (t) => {
  const base = ['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:a@b>', 'Call-ID: 1', 'CSeq: 1 OPTIONS'];
  const noLen = crlf([...base, '', 'body']);
  t.equal(parseMessage(noLen).body.toString(), 'body', 'datagram without Content-Length takes the rest');
  t.equal(reason(() => parseMessage(noLen, { stream: true })), 'content-length');
  t.equal(parseMessage(crlf([...base, 'Content-Length: 2', '', 'body'])).body.toString(), 'bo');
  t.equal(reason(() => parseMessage(crlf([...base, 'Content-Length: 2', '', 'body']), { stream: true })), 'content-length');
  t.equal(reason(() => parseMessage(crlf([...base, 'Content-Length: 2x', '', 'bo']))), 'header-value');
  t.equal(reason(() => parseMessage(crlf([...base, 'Content-Length: 99999999999', '', 'bo']))), 'header-value');
  t.equal(parseMessage(Buffer.from([...base, 'l: 0', '', ''].join('\n'))).isRequest, true, 'LF-only line ends');
  t.equal(parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), crlf([...base, 'l: 0', '', ''])])).isRequest, true);
  t.equal(reason(() => parseMessage(crlf(base))), 'truncated');
  t.equal(reason(() => parseMessage(crlf([...base.slice(0, 1), 'Bad Header: x', ...base.slice(1), '', '']))), 'header-syntax');
  t.equal(reason(() => parseMessage(crlf([...base.slice(0, 1), ' folded', ...base.slice(1), '', '']))), 'header-syntax');
  t.equal(reason(() => parseMessage(crlf([...base.slice(0, 1), 'NoColon', ...base.slice(1), '', '']))), 'header-syntax');
  t.equal(reason(() => parseMessage(crlf([...base, 'Contact: *, <sip:a@b>', '', '']))), 'header-value');
  t.equal(reason(() => parseMessage(crlf([...base, 'Contact: <sip:a@b>;expires=99999999999', '', '']))), 'header-value');
  t.equal(reason(() => parseMessage(Buffer.from('SIP/2.0 20 OK\r\n\r\n'))), 'start-line/response');
  t.equal(reason(() => parseMessage(Buffer.from('garbage\r\n\r\n'))), 'start-line');
  t.equal(reason(() => parseMessage(Buffer.alloc(0))), 'truncated');
  t.ok(parseMessage(crlf([...base, 'Contact: *', 'Expires: 0', '', ''])).isStarContact);
});

t.test('partial messages from an application, and deployed-peer leniencies', async (t) => {
  const app = Buffer.from('INVITE sip:bob@example.com SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0 ü');
  t.equal(reason(() => parseMessage(app)), 'missing-header');
  const m = parseMessage(app, { requireHeaders: false, trustContentLength: false }) as SipRequest;
  t.equal(m.method, 'INVITE');
  t.equal(m.body.toString(), 'v=0 ü', 'body is the rest of the buffer');
  t.equal(m.has('via'), false);
  t.equal(reason(() => parseMessage(Buffer.from('BYE sip:b@x SIP/2.0\r\nFrom: <bad\r\n\r\n'), { requireHeaders: false })), 'header-value', 'present headers still validated');
  const base = ['INVITE sip:*72#@pbx.example.com SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: Jörg Müller <sip:j@b>;tag=1', 'To: <sip:a@b>', 'Call-ID: MjU5YTQ4ZjE=/x@host', 'CSeq: 1 INVITE', 'l: 0', '', ''];
  const p = parseMessage(crlf(base)) as SipRequest;
  t.equal(p.uri.user, '*72#', 'unescaped # in a feature code');
  t.equal(p.from.displayName, 'Jörg Müller', 'unquoted UTF-8 display name');
  t.equal(p.callId, 'MjU5YTQ4ZjE=/x@host', 'base64 Call-ID');
  t.equal(reason(() => parseMessage(crlf(base.map((l) => (l.startsWith('Call-ID') ? 'Call-ID: a b' : l))))), 'header-value');
});
