import t from 'tap';
import { alawToLinear, linearToAlaw, linearToUlaw, ulawToLinear } from '../../../src/media/g711.js';

t.test('G.711 round trips within one quantisation step and keeps the sign', async (t) => {
  for (const [enc, dec, name] of [[linearToUlaw, ulawToLinear, 'µ-law'], [linearToAlaw, alawToLinear, 'A-law']] as const) {
    let worst = 0;
    let signErrors = 0;
    for (let x = -32000; x <= 32000; x += 37) {
      const y = dec(enc(x));
      if (Math.abs(x) > 64 && Math.sign(y) !== Math.sign(x)) signErrors++;
      // G.711's step grows with the segment: at most 1/16 of the magnitude (plus the smallest step).
      worst = Math.max(worst, Math.abs(y - x) - Math.abs(x) / 16);
    }
    t.equal(signErrors, 0, `${name}: every sample keeps its sign`);
    t.ok(worst <= 16, `${name}: error within the segment's step (excess ${worst})`);
  }
  // Reference code points (ITU-T G.711 tables): silence and full scale.
  t.equal(linearToUlaw(0), 0xff, 'µ-law zero is 0xFF');
  t.equal(linearToAlaw(0), 0xd5, 'A-law zero is 0xD5');
  t.equal(ulawToLinear(0x80), 32124, 'µ-law 0x80 is +32124');
  t.equal(alawToLinear(0xaa), 32256, 'A-law 0xAA is +32256');
});
