// The one config schema: every key spangate reads. Each subsystem declares its section in
// schema/<subsystem>.ts; adding a subsystem means one file there and one line here.
import { adminSchema } from './schema/admin.js';
import { cdrSchema } from './schema/cdr.js';
import { daemonSchema } from './schema/daemon.js';
import type { ValuesOf } from './schema/key.js';
import { logSchema } from './schema/log.js';
import { mediaSchema } from './schema/media.js';
import { metricsSchema } from './schema/metrics.js';
import { routingSchema } from './schema/routing.js';
import { sipSchema } from './schema/sip.js';
import { tdmSchema } from './schema/tdm.js';

export const schema = {
  daemon: daemonSchema,
  admin: adminSchema,
  log: logSchema,
  metrics: metricsSchema,
  sip: sipSchema,
  media: mediaSchema,
  routing: routingSchema,
  cdr: cdrSchema,
  tdm: tdmSchema,
};

/** The effective, validated, frozen configuration. */
export type SpangateConfig = ValuesOf<typeof schema>;

export type { KeySpec, SchemaSection } from './schema/key.js';
