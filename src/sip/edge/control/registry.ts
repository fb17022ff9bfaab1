// Which app connections take which SIP verbs. Requests are spread round robin across the
// connections that routed a verb, and optionally narrowed to those carrying a tag.

export interface RoutedClient {
  readonly id: string;
  readonly tags: readonly string[];
}

export class RouteRegistry<C extends RoutedClient> {
  private readonly byVerb = new Map<string, C[]>();
  private readonly cursor = new Map<string, number>();

  add(verb: string, client: C): void {
    const v = verb.toLowerCase();
    const list = this.byVerb.get(v) ?? [];
    if (!list.includes(client)) list.push(client);
    this.byVerb.set(v, list);
  }

  remove(verb: string, client: C): void {
    const v = verb.toLowerCase();
    const list = this.byVerb.get(v);
    if (!list) return;
    const i = list.indexOf(client);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.byVerb.delete(v);
      this.cursor.delete(v);
    }
  }

  /** Removes every route of a client (its connection closed). */
  removeClient(client: C): void {
    for (const verb of [...this.byVerb.keys()]) this.remove(verb, client);
  }

  has(verb: string): boolean {
    return (this.byVerb.get(verb.toLowerCase())?.length ?? 0) > 0;
  }

  /** All clients that routed a verb (for CDR fan-out). */
  all(verb: string): readonly C[] {
    return this.byVerb.get(verb.toLowerCase()) ?? [];
  }

  /** Next client for a verb, round robin; with `tag`, only clients carrying it. */
  pick(verb: string, tag?: string): C | undefined {
    const v = verb.toLowerCase();
    const list = this.byVerb.get(v);
    if (!list || list.length === 0) return undefined;
    const start = this.cursor.get(v) ?? 0;
    for (let k = 0; k < list.length; k++) {
      const i = (start + k) % list.length;
      const c = list[i];
      if (tag === undefined || c.tags.includes(tag)) {
        this.cursor.set(v, (i + 1) % list.length);
        return c;
      }
    }
    return undefined;
  }
}
