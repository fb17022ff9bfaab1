// G.711 (ITU-T G.711) µ-law and A-law sample conversion in TypeScript, for the tools that make
// or check audio outside the native engine (the demo's phones, the test peers). The media path
// itself converts in native/ (bit-exact tables); this is the same algorithm, one sample at a time.

export function ulawToLinear(u: number): number {
  const x = ~u & 0xff;
  let t = ((x & 0x0f) << 3) + 0x84;
  t <<= (x & 0x70) >> 4;
  return (x & 0x80) !== 0 ? 0x84 - t : t - 0x84;
}

export function alawToLinear(a: number): number {
  const x = a ^ 0x55;
  let t = (x & 0x0f) << 4;
  const seg = (x & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return (x & 0x80) !== 0 ? t : -t;
}

export function linearToUlaw(sample: number): number {
  let sign = 0;
  let s = sample;
  if (s < 0) { sign = 0x80; s = -s; }
  if (s > 32635) s = 32635;
  s += 0x84;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; exp--, mask >>= 1);
  return ~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0f)) & 0xff;
}

const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
export function linearToAlaw(sample: number): number {
  let v = sample >> 3;
  let mask: number;
  if (v >= 0) mask = 0xd5;
  else { mask = 0x55; v = -v - 1; }
  let seg = 0;
  while (seg < 8 && v > ALAW_SEG_END[seg]!) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const aval = (seg << 4) | (seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f);
  return aval ^ mask;
}
