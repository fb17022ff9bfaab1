// sip: trunks toward the UC server, SIP carriers and IP PBXs, and call timers. Each trunk is a
// profile (generic, ocs2007, lync, teams) plus plain settings overriding it; see
// src/sip/trunk-profiles.ts for every per-trunk setting and its default.
// Keys have the shape of src/config/schema/key.ts (doc, format, default, env, reloadable).

import { resolveTrunk, type TrunkInput } from '../../sip/trunk-profiles.js';
import { sipEdgeFormats, sipEdgeSchema } from './sip-edge.js';

interface Key<T> { doc: string; format: string | readonly unknown[]; default: T; env: string; reloadable: boolean }
const key = <T>(k: Key<T>): Key<T> => k;

export const sipSchema = {
  edge: sipEdgeSchema,
  trunks: key<Record<string, TrunkInput>>({
    doc: 'SIP trunks by id: { "teams": { "profile": "teams", "contactFqdn": "sbc.example.com" }, "carrier": { "addresses": ["192.0.2.10"] } }.',
    format: 'sip-trunks', default: {}, env: 'SPANGATE_SIP_TRUNKS', reloadable: true,
  }),
  ringTimeoutMs: key<number>({
    doc: 'An outbound leg not answered within this time is cancelled (cause 19, no answer).',
    format: 'duration-ms', default: 120_000, env: 'SPANGATE_SIP_RING_TIMEOUT_MS', reloadable: true,
  }),
};

export const sipFormats = {
  ...sipEdgeFormats,
  'sip-trunks': {
    check: (v: unknown): void => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('must be an object of trunks by id');
      for (const [id, t] of Object.entries(v)) {
        if (typeof t !== 'object' || t === null) throw new Error(`trunk ${id} must be an object`);
        resolveTrunk(id, t as TrunkInput);
      }
    },
    coerce: (s: string): unknown => JSON.parse(s),
  },
};
