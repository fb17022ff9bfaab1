import t from 'tap';
import { SipMsg, addrUri, getTag, headerParam, parseUri, parseVia, splitCommas, toNameAddr, withTag } from '../../../../../src/sip/edge/ua/sip-msg.js';
import { SignalingError } from '../../../../../src/errors.js';

const INVITE = [
  'INVITE sip:bob@example.com SIP/2.0',
  'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport, SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK0',
  'f: "Alice, A." <sip:alice@example.com>;tag=abc',
  't: <sip:bob@example.com>',
  'i: call-1',
  'CSeq: 7 INVITE',
  'Subject: a',
  ' folded',
  'l: 7',
  '',
  'v=0\r\nxy',
].join('\r\n');

t.test('parses compact forms, folding, list headers and a byte-counted body', async (t) => {
  const m = SipMsg.parse(INVITE);
  t.equal(m.method, 'INVITE');
  t.equal(m.callId, 'call-1');
  t.same(m.cseq, { seq: 7, method: 'INVITE' });
  t.equal(m.get('subject'), 'a folded');
  t.equal(m.getValues('via').length, 2);
  t.equal(m.body, 'v=0\r\nxy');
  t.equal(getTag(m.get('from')), 'abc');
  t.equal(addrUri(m.get('from') ?? ''), 'sip:alice@example.com');
});

t.test('Content-Length is recomputed in bytes on output', async (t) => {
  const m = SipMsg.response(200, 'OK');
  m.add('Content-Length', '1');
  m.body = 'ünï 😀';
  t.match(m.toString(), new RegExp(`Content-Length: ${Buffer.byteLength('ünï 😀')}\\r\\n\\r\\nünï 😀$`));
});

t.test('bad messages throw SignalingError with 400', async (t) => {
  for (const bad of ['', 'HELLO\r\n\r\n', 'INVITE sip:x SIP/2.0\r\nno colon\r\n\r\n', 'SIP/2.0 99 x\r\n\r\n',
    'INVITE sip:x SIP/2.0\r\nContent-Length: 10\r\n\r\nshort', 'INVITE sip:x SIP/2.0\r\nContent-Length: x\r\n\r\n']) {
    let err: unknown;
    try {
      SipMsg.parse(bad);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof SignalingError && err.sipStatus === 400, JSON.stringify(bad.slice(0, 30)));
  }
});

t.test('address and URI helpers', async (t) => {
  t.same(splitCommas('"a, b" <sip:x>, <sip:y;p=1,2>, sip:z'), ['"a, b" <sip:x>', '<sip:y;p=1,2>', 'sip:z']);
  t.equal(headerParam('<sip:x;tag=no>;tag=yes', 'tag'), 'yes');
  t.equal(withTag('sip:a@b', 't1'), 'sip:a@b;tag=t1');
  t.equal(withTag('sip:a@b;user=phone', 't1'), '<sip:a@b;user=phone>;tag=t1');
  t.equal(withTag('<sip:a@b>;tag=x', 't1'), '<sip:a@b>;tag=x', 'an existing tag is kept');
  t.equal(toNameAddr('sip:foo@h;expires=60'), '<sip:foo@h>;expires=60');
  t.equal(toNameAddr('"n" <sip:foo@h>'), '"n" <sip:foo@h>');
  t.equal(toNameAddr('*'), '*');
  const u = parseUri('sip:u@[::1]:5070;transport=tcp;lr');
  t.same([u?.host, u?.port, u?.params.get('transport'), u?.params.has('lr')], ['[::1]', 5070, 'tcp', true]);
  t.equal(parseUri('mailto:x'), undefined);
  const v = parseVia('SIP/2.0/TLS h.example:5061;branch=z9hG4bKq;received=1.2.3.4;rport=9');
  t.same([v?.proto, v?.host, v?.port, v?.branch, v?.params.get('rport')], ['TLS', 'h.example', 5061, 'z9hG4bKq', '9']);
});
