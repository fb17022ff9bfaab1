import t from 'tap';
import { DigestServer, digestResponse, parseDigest } from '../../../../src/sip/trunks/digest.js';

t.test('RFC 2617 §3.5 example (Mufasa), qop=auth', async (t) => {
  t.equal(digestResponse({
    username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b',
  }), '6629fae49393a05397450978507c4ef1');
});

t.test('Authorization header parsing', async (t) => {
  t.same(parseDigest('Digest username="a\\"b", realm="r", nonce="n", uri="sip:x@y", response="abc", qop=auth, nc=00000001, cnonce="c", algorithm=MD5'), {
    username: 'a"b', realm: 'r', nonce: 'n', uri: 'sip:x@y', response: 'abc', qop: 'auth', nc: '00000001', cnonce: 'c', algorithm: 'MD5',
  });
  t.equal(parseDigest('Basic dXNlcjpwYXNz'), undefined);
  t.equal(parseDigest('Digest username="unterminated'), undefined);
});

function answer(challenge: string, o: { username?: string; password?: string; realm?: string; method?: string; nonce?: string } = {}): string {
  const nonce = o.nonce ?? /nonce="([^"]+)"/.exec(challenge)![1]!;
  const realm = o.realm ?? /realm="([^"]+)"/.exec(challenge)![1]!;
  const username = o.username ?? 'gw';
  const uri = 'sip:+4930555123@192.0.2.1';
  const response = digestResponse({ username, realm, password: o.password ?? 'secret', method: o.method ?? 'INVITE', uri, nonce, qop: 'auth', nc: '00000001', cnonce: 'abcdef' });
  return `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="abcdef"`;
}

t.test('challenge, good and bad answers, stale and forged nonces', async (t) => {
  let now = 1_700_000_000_000;
  const d = new DigestServer({ now: () => now, nonceTtlMs: 60_000 });
  const want = { realm: 'carrier.example', username: 'gw', password: 'secret', method: 'INVITE' };
  const ch = d.challenge('carrier.example');
  t.match(ch, /^Digest realm="carrier\.example", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
  t.match(d.verify(undefined, want), { result: 'challenge', stale: false });
  t.same(d.verify(answer(ch), want), { result: 'ok' });
  t.match(d.verify(answer(ch, { password: 'wrong' }), want), { result: 'forbidden', why: 'wrong password' });
  t.match(d.verify(answer(ch, { username: 'eve' }), want), { result: 'forbidden' });
  t.match(d.verify(answer(ch, { method: 'BYE' }), want), { result: 'forbidden' }, 'response bound to the method');
  const forged = ch.replace(/nonce="([^"]+)"/, (_m, n: string) => `nonce="${n.slice(0, -1)}${n.endsWith('A') ? 'B' : 'A'}"`);
  t.match(d.verify(answer(forged), want), { result: 'challenge', stale: false, why: 'nonce not issued by us' });
  t.match(d.verify(answer(ch, { realm: 'other' }), want), { result: 'challenge', stale: false });
  t.match(d.verify(answer(d.challenge('other.realm'), { realm: 'carrier.example' }), want), { result: 'challenge', why: 'nonce not issued by us' }, 'a nonce is bound to its realm');
  t.match(d.verify(answer(ch).replace(/, qop=auth, nc=00000001, cnonce="abcdef"/, ''), want), { result: 'challenge' }, 'qop=auth required');
  t.match(d.verify('Basic Z3c6c2VjcmV0', want), { result: 'challenge' }, 'Basic is not accepted');
  now += 61_000;
  t.match(d.verify(answer(ch), want), { result: 'challenge', stale: true }, 'good credentials on an expired nonce: stale=true');
  t.match(d.challenge('carrier.example', true), /, stale=true$/);
  t.match(d.verify(answer(ch, { password: 'wrong' }), want), { result: 'forbidden' }, 'bad credentials stay forbidden when stale');
  const other = new DigestServer({ now: () => now });
  t.match(other.verify(answer(d.challenge('carrier.example')), want), { result: 'challenge', stale: false, why: 'nonce not issued by us' }, 'after a restart (new key): a fresh challenge, not 403');
});
