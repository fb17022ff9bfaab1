// The table of admin methods. Subsystems receive it (as AdminRegistry) through their
// constructors and register their own methods: status, config.*, later show.calls, show.trunks.
import { METHOD_NAME } from './protocol.js';

export interface AdminContext {
  /** Aborted when the request times out or the client goes away. */
  signal: AbortSignal;
}

export type AdminHandler = (params: Record<string, unknown>, ctx: AdminContext) => unknown;

export interface AdminRegistry {
  /** Adds a method; names are dotted lower-case ("show.calls"); registering a name twice throws. */
  register(method: string, help: string, handler: AdminHandler): void;
}

export interface MethodInfo {
  method: string;
  help: string;
}

export class AdminMethods implements AdminRegistry {
  private readonly methods = new Map<string, { help: string; handler: AdminHandler }>();

  constructor() {
    this.register('help', 'Lists the admin methods.', () => this.list());
  }

  register(method: string, help: string, handler: AdminHandler): void {
    if (!METHOD_NAME.test(method)) throw new Error(`admin method name ${method} must match ${METHOD_NAME.source}`);
    if (this.methods.has(method)) throw new Error(`admin method ${method} is already registered`);
    this.methods.set(method, { help, handler });
  }

  get(method: string): AdminHandler | undefined {
    return this.methods.get(method)?.handler;
  }

  list(): MethodInfo[] {
    return [...this.methods].map(([method, { help }]) => ({ method, help })).sort((a, b) => a.method.localeCompare(b.method));
  }
}
