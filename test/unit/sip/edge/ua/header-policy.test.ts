import t from 'tap';
import { applyAppHeaders, ensureContentType, headerName, substituteLocalhost } from '../../../../../src/sip/edge/ua/header-policy.js';
import { SipMsg } from '../../../../../src/sip/edge/ua/sip-msg.js';

t.test('app headers: transport and routing headers dropped, bad lines dropped, names re-capitalised', async (t) => {
  const app = SipMsg.request('INVITE', 'sip:x');
  for (const [n, v] of [['Via', 'SIP/2.0/UDP a'], ['Route', '<sip:r>'], ['Record-Route', '<sip:rr>'], ['RSeq', '1'],
    ['Content-Length', '99'], ['my-custom-header', 'v'], ['x-lower-case', 'kept'], ['call-id', 'c'], ['Subject', 'ok'],
    ['P-Asserted-Identity', '<sip:pai@h>'], ['X-Keep-Case', 'k'], ['Bad Name', 'x']] as const) {
    app.add(n, v);
  }
  app.headers.push(['X-Inject', 'a\r\nVia: evil']);
  const out = SipMsg.request('INVITE', 'sip:x');
  applyAppHeaders(app, out, new Set(['call-id']), new Set(['x-keep-case']));
  t.same(out.headers.map(([n]) => n), ['My-Custom-Header', 'x-lower-case', 'Subject', 'P-Asserted-Identity', 'X-Keep-Case']);
  t.equal(headerName('www-authenticate', new Set()), 'WWW-Authenticate');
});

t.test('@localhost substitution and auto Content-Type', async (t) => {
  t.equal(substituteLocalhost('"12345" <sip:12345@localhost>', '10.0.0.5:5060'), '"12345" <sip:12345@10.0.0.5:5060>');
  t.equal(substituteLocalhost('<sip:foo@localhost:5080;transport=tcp>', '10.0.0.5:5060'), '<sip:foo@10.0.0.5:5060;transport=tcp>');
  t.equal(substituteLocalhost('<sip:localhost>', 'h:1'), '<sip:h:1>');
  t.equal(substituteLocalhost('<sip:a@localhost.example.com>', 'h:1'), '<sip:a@localhost.example.com>', 'only the bare name');
  const sdp = SipMsg.request('INVITE', 'sip:x');
  sdp.body = 'v=0\r\n';
  t.ok(ensureContentType(sdp));
  t.equal(sdp.get('content-type'), 'application/sdp');
  const other = SipMsg.request('INFO', 'sip:x');
  other.body = 'Signal=1';
  t.notOk(ensureContentType(other), 'a non-SDP body without a type is refused');
});
