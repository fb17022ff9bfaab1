// Loop and hop checks on an INVITE before it becomes a call (RFC 3261 §8.2.2.2, §16.3 in a
// B2BUA's terms): Max-Forwards 0 gets 483 Too Many Hops; a request whose Via chain holds one of
// our own listeners' sent-by came back through something that forwards requests (a proxy keeps
// every Via, even one that drops our X-Spangate-Via header): 482 Loop Detected. Pure.

/** Max-Forwards as received: a number 0-255, undefined when absent, an Error when malformed. */
export function parseMaxForwards(value: string | undefined): number | undefined | Error {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (!/^\d{1,3}$/.test(v) || Number(v) > 255) return new Error(`bad Max-Forwards ${v.slice(0, 20)}`);
  return Number(v);
}

/** The sent-by (`host:port`, lower case, port 5060 when absent) of every Via value in the header. */
export function viaSentBys(via: string | undefined): string[] {
  if (!via) return [];
  const out: string[] = [];
  // Values are comma separated; a comma cannot occur inside a Via value outside quoted params.
  for (const v of via.split(',')) {
    const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s;:]+)(?:\s*:\s*(\d+))?/i.exec(v);
    if (!m) continue;
    const proto = m[1]!.toLowerCase();
    const port = m[3] ?? (proto === 'tls' ? '5061' : '5060');
    out.push(`${m[2]!.toLowerCase()}:${port}`);
  }
  return out;
}

/** The first of our own sent-by values (`host:port`) found in the Via chain, if any. */
export function ownViaIn(via: string | undefined, own: readonly string[]): string | undefined {
  if (own.length === 0) return undefined;
  const mine = new Set(own.map((s) => s.toLowerCase()));
  return viaSentBys(via).find((s) => mine.has(s));
}
