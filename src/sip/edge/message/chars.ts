// Character classes of RFC 3261 §25, as lookup tables indexed by char code (ASCII only;
// callers treat codes >= 128 as UTF-8 text where the grammar allows it).

function table(chars: string, ranges: Array<[number, number]> = []): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) t[c] = 1;
  return t;
}

const ALNUM: Array<[number, number]> = [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]];

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~", ALNUM);
/** unreserved = alphanum / mark */
const UNRESERVED = "-_.!~*'()";
/** user = 1*( unreserved / escaped / user-unreserved ), plus '#' which PBX feature codes use unescaped */
export const USER = table(UNRESERVED + '&=+$,;?/%#', ALNUM);
/** password chars */
export const PASSWORD = table(UNRESERVED + '&=+$,%', ALNUM);
/** paramchar = param-unreserved / unreserved / escaped */
export const PARAMCHAR = table(UNRESERVED + '[]/:&+$%', ALNUM);
/** hname/hvalue chars of URI headers */
export const HCHAR = table(UNRESERVED + '[]/?:+$%', ALNUM);
/** hostname and IP literal chars (brackets checked separately) */
export const HOST = table('-._', ALNUM);
/** tel: global/local number chars and visual separators (RFC 3966) */
export const TELCHAR = table('+-.()*#%', [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]]);

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return false;
  }
  return true;
}

export function allIn(s: string, from: number, to: number, t: Uint8Array): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] === 0) return false;
  }
  return true;
}

/** Checks %HH escapes in s[from, to). */
export function escapesValid(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (s.charCodeAt(i) === 0x25) {
      if (i + 2 >= to) return false;
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
    }
  }
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** SP or HTAB */
export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

export function skipWs(s: string, i: number, end: number = s.length): number {
  while (i < end && isWsp(s.charCodeAt(i))) i++;
  return i;
}

export function trimEnd(s: string, from: number, to: number): number {
  while (to > from && isWsp(s.charCodeAt(to - 1))) to--;
  return to;
}
