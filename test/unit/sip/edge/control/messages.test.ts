import t from 'tap';
import {
  parseAppMessage, requestEcho, responseEcho, proxyResponse, buildSipEvent, buildCdr, parseDuration, wireTime,
} from '../../../../../src/sip/edge/control/messages.js';
import { SignalingError } from '../../../../../src/errors.js';

const meta = { source: 'application' as const, bytes: 42, proto: 'udp', address: '127.0.0.1', port: 5060, time: '01:02:03.000004' };

t.test('parses each app message kind, keeping empty tokens', async (t) => {
  t.same(parseAppMessage('1|authenticate|cymru|a,b'), { kind: 'authenticate', id: '1', secret: 'cymru', tags: ['a', 'b'] });
  t.same(parseAppMessage('1|authenticate|cymru|'), { kind: 'authenticate', id: '1', secret: 'cymru', tags: [] });
  t.same(parseAppMessage('2|route|INVITE'), { kind: 'route', id: '2', verb: 'invite' });
  t.same(parseAppMessage('3|remove_route|cdr:start'), { kind: 'remove_route', id: '3', verb: 'cdr:start' });
  t.same(parseAppMessage('4|ping'), { kind: 'ping', id: '4' });
  const sip = parseAppMessage('5|sip||dlg|sip:1.2.3.4\r\nBYE sip:x SIP/2.0\r\nA: b|c\r\n\r\n');
  t.same(sip, { kind: 'sip', id: '5', txnId: '', dialogId: 'dlg', routeUri: 'sip:1.2.3.4', raw: 'BYE sip:x SIP/2.0\r\nA: b|c\r\n\r\n' });
  const p = parseAppMessage('6|proxy|txn|remainInDialog|fullResponse||serial|5s|1500ms|sip:a|sip:b\r\nINVITE sip:a SIP/2.0\r\n');
  t.equal(p.kind, 'proxy');
  if (p.kind === 'proxy') {
    t.same(p.proxy, {
      txnId: 'txn', remainInDialog: true, fullResponse: true, followRedirects: false, simultaneous: false,
      provisionalTimeoutMs: 5000, finalTimeoutMs: 1500, destinations: ['sip:a', 'sip:b'],
    });
  }
  t.same(parseAppMessage('7|bogus|x'), { kind: 'unknown', id: '7', type: 'bogus' });
  t.throws(() => parseAppMessage('nothing'), SignalingError);
});

t.test('echo token positions are the ones srf indexes', async (t) => {
  const req = requestEcho('app1', meta, 'txn9', 'INVITE sip:x SIP/2.0\r\n\r\n').split('\r\n')[0].split('|');
  t.equal(req[1], 'response');
  t.equal(req[2], 'app1');
  t.equal(req[3], 'OK');
  t.same(req.slice(4, 10), ['application', '42', 'udp', '127.0.0.1', '5060', '01:02:03.000004']);
  t.equal(req[10], 'txn9', 'transactionId at [10]');
  const res = responseEcho('app2', meta, 'txn9', 'cid;from-tag=x', 'SIP/2.0 200 OK\r\n\r\n').split('\r\n')[0].split('|');
  t.equal(res[10], 'txn9');
  t.equal(res[11], 'cid;from-tag=x', 'dialogId at [11]');
  t.equal(res[12], '', 'extra empty token, not "continue"');
  const pr = proxyResponse('app3', { ...meta, source: 'network' }, 'SIP/2.0 486 Busy\r\n\r\n').split('\r\n')[0].split('|');
  t.equal(pr[12], 'continue');
});

t.test('sip events keep the trailing | and the receivedOn tokens', async (t) => {
  const ev = buildSipEvent({ ...meta, source: 'network' }, 'txn', '', 'INVITE sip:x SIP/2.0\r\n\r\n', { host: '10.0.0.1', port: 5060 });
  const tok = ev.split('\r\n')[0].split('|');
  t.equal(tok[1], 'sip');
  t.equal(tok[2], 'network');
  t.equal(tok[8], 'txn');
  t.equal(tok[9], '');
  t.equal(tok[10], '10.0.0.1');
  t.equal(tok[11], '5060');
  const plain = buildSipEvent(meta, 'unsolicited', 'd', 'BYE sip:x SIP/2.0\r\n\r\n').split('\r\n')[0].split('|');
  t.ok(plain.length > 9, 'srf ignores sip frames of 9 tokens or fewer');
});

t.test('cdr frames, durations, wire time', async (t) => {
  t.match(buildCdr('attempt', 'network', undefined, 'X'), /^[^|]+\|cdr:attempt\|network\|\d\d:\d\d:\d\d\.\d{6}\r\nX$/);
  t.match(buildCdr('stop', 'application', 'normal-release', 'X'), /\|cdr:stop\|application\|[^|]+\|normal-release\r\n/);
  t.equal(parseDuration('2', 0), 2000);
  t.equal(parseDuration('', 7), 7);
  t.equal(wireTime(new Date(Date.UTC(2020, 0, 1, 1, 2, 3, 45))), '01:02:03.045000');
});
