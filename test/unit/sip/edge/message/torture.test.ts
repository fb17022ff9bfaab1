// RFC 4475 torture messages: the valid ones parse with the right values, the invalid
// ones are refused with a typed SipParseError naming the reason.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync } from 'node:fs';
import { parseMessage, serializeMessage, SipParseError, SipRequest, SipResponse } from '../../../../../src/sip/edge/message/index.js';

// RFC 4475 (public test data), copied from the team's shared/testdata.
const DIR = fileURLToPath(new URL('../../../../fixtures/rfc4475', import.meta.url));
const load = (name: string): Buffer => readFileSync(`${DIR}/${name}.dat`);
const req = (name: string): SipRequest => {
  const m = parseMessage(load(name));
  if (!(m instanceof SipRequest)) throw new Error(`${name} is not a request`);
  return m;
};
const res = (name: string): SipResponse => {
  const m = parseMessage(load(name));
  if (!(m instanceof SipResponse)) throw new Error(`${name} is not a response`);
  return m;
};

// §3.1.2 invalid messages and §3.3 ones a server answers 400 to: reason and status expected.
const INVALID: Record<string, [string, number]> = {
  badinv01: ['header-value', 400],
  clerr: ['content-length', 400],
  ncl: ['header-value', 400],
  scalar02: ['header-value', 400],
  scalarlg: ['header-value', 400],
  quotbal: ['header-value', 400],
  ltgtruri: ['start-line', 400],
  lwsruri: ['start-line', 400],
  lwsstart: ['start-line', 400],
  trws: ['start-line', 400],
  escruri: ['start-line', 400],
  baddate: ['header-value', 400],
  regbadct: ['header-value', 400],
  badaspec: ['header-value', 400],
  baddn: ['header-value', 400],
  badvers: ['version', 505],
  mismatch01: ['cseq-mismatch', 400],
  mismatch02: ['cseq-mismatch', 400],
  bigcode: ['start-line', 400],
  insuf: ['missing-header', 400],
  multi01: ['duplicate-header', 400],
  mcl01: ['duplicate-header', 400],
};

t.test('every torture message either parses or fails with a SipParseError', async (t) => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.dat'));
  t.equal(files.length, 49);
  for (const f of files) {
    const name = f.slice(0, -4);
    try {
      const m = parseMessage(load(name));
      t.notOk(name in INVALID, `${name} parsed`);
      // a round trip through the serializer parses to the same start line, headers and body
      const again = parseMessage(serializeMessage(m));
      t.same(again.headers.filter((h) => h.key !== 'content-length'), m.headers.filter((h) => h.key !== 'content-length'), `${name} round trip headers`);
      t.ok(again.body.equals(m.body), `${name} round trip body`);
    } catch (e) {
      t.ok(e instanceof SipParseError, `${name}: typed error`);
      const err = e as SipParseError;
      t.ok(name in INVALID, `${name} refused: ${err.message}`);
      if (name in INVALID) {
        t.equal(err.reason, INVALID[name][0], `${name} reason`);
        t.equal(err.sipStatus, INVALID[name][1], `${name} status`);
      }
    }
  }
});

t.test('invalid requests carry what a 400 needs', async (t) => {
  const e = t.throws(() => parseMessage(load('mismatch01'))) as unknown as SipParseError;
  t.equal(e.isRequest, true);
  t.equal(e.method, 'OPTIONS');
  t.ok(e.headers?.some((h) => h.key === 'via'));
  const r = t.throws(() => parseMessage(load('scalarlg'))) as unknown as SipParseError;
  t.equal(r.isRequest, false, 'a bad response is marked as one (drop and count)');
  const q = t.throws(() => parseMessage(load('badvers'))) as unknown as SipParseError;
  t.equal(q.sipStatus, 505);
});

t.test('wsinv: folding, odd spacing, compact forms', async (t) => {
  const m = req('wsinv');
  t.equal(m.method, 'INVITE');
  t.equal(m.uri.host, 'chair-dnrc.example.com');
  t.equal(m.uri.params.get('unknownparam'), null);
  t.equal(m.to.uri.user, 'vivekg');
  t.equal(m.to.tag, '1918181833n');
  t.equal(m.from.displayName, 'J Rosenberg \\"');
  t.equal(m.from.tag, '98asjd8');
  t.equal(m.maxForwards, 68);
  t.equal(m.cseq.seq, 9);
  t.equal(m.cseq.method, 'INVITE');
  t.equal(m.vias.length, 3);
  t.equal(m.vias[0].transport, 'UDP');
  t.equal(m.vias[0].host, '192.0.2.2');
  t.equal(m.vias[0].branch, '390skdjuw');
  t.equal(m.vias[1].transport, 'TCP');
  t.equal(m.vias[1].host, 'spindle.example.com');
  t.equal(m.vias[1].branch, 'z9hG4bK9ikj8');
  t.equal(m.vias[2].host, '192.168.255.111');
  t.equal(m.vias[2].branch, 'z9hG4bK30239');
  t.equal(m.get('subject'), '');
  t.equal(m.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  t.equal(m.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  const route = m.nameAddrs('route');
  t.equal(route.length, 1);
  t.equal(route[0].uri.params.get('lr'), null);
  t.equal(route[0].uri.params.get('unknownwith'), 'value');
  const c = m.contacts[0];
  t.equal(c.displayName, 'Quoted string ""');
  t.equal(c.params.get('newparam'), 'newvalue');
  t.equal(c.params.get('secondparam'), null);
  t.equal(c.params.get('q'), '0.33');
  t.equal(m.body.length, 150);
  t.equal(m.contentType, 'application/sdp');
});

t.test('intmeth, esc01, esc02, escnull: unusual tokens and escapes', async (t) => {
  const m = req('intmeth');
  t.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  t.equal(m.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  t.equal(m.uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  t.equal(m.uri.host, 'example.com');
  t.equal(m.to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  t.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
  t.equal(m.from.tag, "_token~1'+`*%!-.");
  t.equal(m.callId, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  t.equal(m.vias[0].branch, "z9hG4bK-.!%66*_+`'~");
  t.equal(req('esc01').uri.user, 'sips%3Auser%40example.com');
  const e2 = req('esc02');
  t.equal(e2.method, 'RE%47IST%45R');
  t.equal(e2.contacts.length, 2, 'C%6Fntact is another header');
  t.equal(e2.getAll('C%6Fntact').length, 1);
  t.equal(req('escnull').contacts[1].uri.user, '%00%00');
});

t.test('semiuri, lwsdisp, longreq, dblreq, transports', async (t) => {
  const s = req('semiuri');
  t.equal(s.uri.user, 'user;par=u%40example.net');
  t.equal(s.uri.params.size, 0);
  t.same(s.getAll('accept'), ['application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag']);
  t.equal(req('lwsdisp').from.displayName, 'caller');
  const l = req('longreq');
  t.ok(l.to.displayName!.length > 100);
  t.ok(l.from.uri.user!.length > 100);
  t.ok(l.vias.length >= 30);
  const d = req('dblreq');
  t.equal(d.body.length, 0, 'trailing octets beyond Content-Length are dropped');
  t.equal(d.method, 'REGISTER');
  t.same(req('transports').vias.map((v) => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
});

t.test('responses: unusual and empty reason, broadcast Via', async (t) => {
  t.equal(res('noreason').reason, '');
  t.equal(res('noreason').status, 100);
  t.ok(res('unreason').reason.startsWith('= 2**3 * 5**2 но'));
  t.equal(res('bcast').vias[1].host, '255.255.255.255');
});

t.test('application-layer torture messages parse so the UA can answer them', async (t) => {
  t.equal(req('unkscm').uri.scheme, 'nobodyknowsthisscheme');
  t.equal(req('novelsc').uri.scheme, 'soap.beep');
  t.equal(req('unksm2').to.uri.scheme, 'isbn');
  t.equal(req('unksm2').to.uri.opaque, '2983792873');
  t.equal(req('zeromf').maxForwards, 0);
  t.equal(req('inv2543').vias[0].branch, undefined);
  t.equal(req('badbranch').vias[0].branch, 'z9hG4bK');
  t.equal(req('mpart01').contentType, 'multipart/mixed');
  t.equal(req('cparam02').contacts[0].uri.params.get('unknownparam'), null);
  t.equal(req('regescrt').contacts[0].uri.headers.get('Route'), '%3Csip:sip.example.com%3E');
});
