import t from 'tap';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseSdp, serializeSdp, SdpError, audioCodecNames, mediaDirection, mediaAddress, audioMedia,
} from '../../../src/sip/sdp.js';
import { SignalingError } from '../../../src/errors.js';

// Golden fixtures: good/<name>.sdp parses to good/<name>.json and serializes to good/<name>.out.sdp.
// SPANGATE_UPDATE_GOLDEN=1 rewrites the goldens (review the diff before committing).
const dir = fileURLToPath(new URL('../../fixtures/sdp/', import.meta.url));
const update = process.env.SPANGATE_UPDATE_GOLDEN === '1';

for (const f of readdirSync(join(dir, 'good')).filter((n) => n.endsWith('.sdp') && !n.endsWith('.out.sdp'))) {
  t.test(`golden ${f}`, async (t) => {
    const base = join(dir, 'good', f.replace(/\.sdp$/, ''));
    const parsed = parseSdp(readFileSync(join(dir, 'good', f)));
    const text = serializeSdp(parsed);
    if (update || !existsSync(`${base}.json`)) writeFileSync(`${base}.json`, JSON.stringify(parsed, null, 2) + '\n');
    if (update || !existsSync(`${base}.out.sdp`)) writeFileSync(`${base}.out.sdp`, text);
    t.same(parsed, JSON.parse(readFileSync(`${base}.json`, 'utf8')), 'parse matches golden JSON');
    t.equal(text, readFileSync(`${base}.out.sdp`, 'utf8'), 'serialize matches golden text');
    t.same(parseSdp(text), parsed, 'serialize → parse round-trips');
  });
}

const expected = JSON.parse(readFileSync(join(dir, 'bad', 'expected.json'), 'utf8')) as Record<string, number>;
t.test('every bad fixture is listed', async (t) => {
  t.same(readdirSync(join(dir, 'bad')).filter((n) => n.endsWith('.sdp')).sort(), Object.keys(expected).sort());
});
for (const [f, line] of Object.entries(expected)) {
  t.test(`malformed ${f} → SdpError (488) at line ${line}`, async (t) => {
    const err = (() => { try { parseSdp(readFileSync(join(dir, 'bad', f))); } catch (e) { return e; } return undefined; })();
    t.ok(err instanceof SdpError, 'SdpError');
    t.ok(err instanceof SignalingError, 'is a SignalingError');
    const e = err as SdpError;
    t.equal(e.sipStatus, 488);
    t.equal(e.line, line);
  });
}

t.test('helpers', async (t) => {
  const s = parseSdp(readFileSync(join(dir, 'good', 'hold-static-pt.sdp')));
  const m = audioMedia(s)!;
  t.equal(mediaDirection(s, m), 'sendonly');
  t.equal(mediaAddress(s, m), '0.0.0.0');
  t.same(audioCodecNames(s), ['PCMU', 'PCMA'], 'static payload types get names from RFC 3551');
  const teams = parseSdp(readFileSync(join(dir, 'good', 'teams-srtp-offer.sdp')));
  t.equal(audioMedia(teams)!.crypto[1]!.sessionParams, undefined);
  t.equal(audioMedia(teams)!.crypto[1]!.keyParams, 'inline:NCpKHa9/wBLuU1V/jmkYqS6RqO1hX5Oo8p1Lm2Y7|2^31|1:1');
  t.equal(audioMedia(teams)!.rtcp!.port, 52109);
});

t.test('fuzz: random mutations never throw anything but SdpError', async (t) => {
  const seeds = readdirSync(join(dir, 'good')).filter((n) => n.endsWith('.sdp')).map((n) => readFileSync(join(dir, 'good', n), 'utf8'));
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const alphabet = 'v=o-smcatb:/ 0123456789\r\nIP4.%\u0000\u00ff';
  let other = 0;
  for (let i = 0; i < 3000; i++) {
    const src = seeds[rnd(seeds.length)]!.split('');
    for (let k = 0, n = 1 + rnd(6); k < n; k++) {
      const pos = rnd(src.length + 1);
      const op = rnd(3);
      if (op === 0) src.splice(pos, 1);
      else if (op === 1) src.splice(pos, 0, alphabet[rnd(alphabet.length)]!);
      else src[pos] = alphabet[rnd(alphabet.length)]!;
    }
    try { const p = parseSdp(src.join('')); serializeSdp(p); } catch (e) { if (!(e instanceof SdpError)) other++; }
  }
  t.equal(other, 0);
});
