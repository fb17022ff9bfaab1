// Tones the PSTN simulator sends: "FREQ@LEVEL[:MS]" specs and their PCM (no native code here,
// so the CLI can parse its options without loading the library).
import { MediaError } from '../errors.js';

export interface ToneSpec {
  freqHz: number;
  levelDbm0: number;
  ms: number;
}

/** "1004@-10" or "1004@-10:2000" (Hz @ dBm0 [: ms, default 1000]). */
export function parseTone(s: string): ToneSpec {
  const m = /^(\d+(?:\.\d+)?)@(-?\d+(?:\.\d+)?)(?::(\d+))?$/.exec(s.trim());
  if (!m) throw new MediaError(`tone must be FREQ@LEVEL[:MS] (Hz, dBm0, ms), e.g. 1004@-10:2000, not ${JSON.stringify(s)}`);
  const spec = { freqHz: Number(m[1]), levelDbm0: Number(m[2]), ms: m[3] ? Number(m[3]) : 1000 };
  checkTone(spec);
  return spec;
}

function checkTone(t: ToneSpec): void {
  if (!(t.freqHz >= 20 && t.freqHz <= 3980)) throw new MediaError(`tone frequency ${t.freqHz} Hz outside 20-3980`);
  if (!(t.levelDbm0 >= -60 && t.levelDbm0 <= 3)) throw new MediaError(`tone level ${t.levelDbm0} dBm0 outside -60..+3`);
  if (!(Number.isInteger(t.ms) && t.ms >= 20 && t.ms <= 120_000)) throw new MediaError(`tone duration ${t.ms} ms outside 20-120000`);
}

/** A sine at `levelDbm0` (a full-scale sine is +3.14 dBm0, G.711's digital milliwatt convention). */
export function tonePcm(t: ToneSpec): Int16Array {
  checkTone(t);
  const n = Math.round((t.ms * 8000) / 1000);
  const amp = 32767 * 10 ** ((t.levelDbm0 - 3.14) / 20);
  const pcm = new Int16Array(n);
  const w = (2 * Math.PI * t.freqHz) / 8000;
  for (let i = 0; i < n; i++) pcm[i] = Math.round(amp * Math.sin(w * i));
  return pcm;
}
