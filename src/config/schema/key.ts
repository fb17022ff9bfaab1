// The shape of one config key in the schema. Every key says what it is (doc), what values it
// takes (format: a name from formats.ts or an array of allowed values), its default, the
// environment variable that overrides it, and whether a running daemon can take a new value
// on reload (SIGHUP / `spangate config set --reload`) or needs a restart.

export interface KeySpec<T> {
  doc: string;
  format: string | readonly unknown[];
  default: T;
  env: string;
  reloadable: boolean;
  /** Redacted in `config show`, `config diff` and the admin API. */
  sensitive?: boolean;
}

/** A schema section: keys and nested sections. */
export interface SchemaSection {
  [name: string]: KeySpec<unknown> | SchemaSection;
}

/** Declares one key; the type parameter fixes the key's value type in SpangateConfig. */
export function key<T>(spec: KeySpec<T>): KeySpec<T> {
  return spec;
}

/** The value type a section describes. */
export type ValuesOf<S> = {
  readonly [K in keyof S]: S[K] extends KeySpec<infer T> ? DeepReadonly<T> : ValuesOf<S[K]>;
};

export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export function isKeySpec(node: unknown): node is KeySpec<unknown> {
  return typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, 'default');
}
