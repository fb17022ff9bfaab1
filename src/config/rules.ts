// Rules that involve more than one key. One function, so every cross-key rule is in one place;
// subsystems append their rules here.
import type { SpangateConfig } from './schema.js';
import { dirname } from 'node:path';
import { mediaRules } from './schema/media.js';
import { tdmRules } from './schema/tdm.js';
import { routingRules } from './schema/routing.js';
import { sipEdgeRules, type SipEdgeValues } from './schema/sip-edge.js';

export interface Problem {
  path: string;
  reason: string;
}

export function validateCrossKeys(cfg: SpangateConfig): Problem[] {
  const problems: Problem[] = [];
  const { daemon, admin } = cfg;

  if (daemon.pidFile === admin.socket) {
    problems.push({ path: 'admin.socket', reason: `must differ from daemon.pidFile (${daemon.pidFile})` });
  }
  for (const [path, file] of [['daemon.pidFile', daemon.pidFile], ['admin.socket', admin.socket]] as const) {
    if (file === daemon.stateDir) {
      problems.push({ path, reason: `must be a file, not the state directory daemon.stateDir (${daemon.stateDir})` });
    }
  }
  if (dirname(admin.socket) === '/' || dirname(daemon.pidFile) === '/') {
    problems.push({
      path: dirname(admin.socket) === '/' ? 'admin.socket' : 'daemon.pidFile',
      reason: 'must be inside a directory, not at the file system root',
    });
  }
  if (admin.requestTimeoutMs === 0) {
    problems.push({ path: 'admin.requestTimeoutMs', reason: 'must be greater than 0' });
  }
  // Sections that bring their own rules.
  for (const [path, reason] of [
    ...mediaRules(cfg.media),
    ...tdmRules(cfg.tdm),
    ...routingRules(cfg.routing as unknown as Parameters<typeof routingRules>[0]),
    ...sipEdgeRules(cfg.sip.edge as unknown as SipEdgeValues),
    ...portRangeRules(cfg),
  ]) {
    problems.push({ path, reason });
  }
  return problems;
}

/**
 * A managed rtpengine and the native engine (relay and PRI B-channel endpoints) bind RTP ports
 * on their own: ranges that overlap on one address would make calls fail at random when both
 * pick the same port. Wildcard addresses collide with every address.
 */
function portRangeRules(cfg: SpangateConfig): [string, string][] {
  const { rtpengine, native } = cfg.media;
  if (rtpengine.mode !== 'managed') return [];
  const clash = (a: string, b: string): boolean => a === b || a === '0.0.0.0' || b === '0.0.0.0' || a === '::' || b === '::';
  const overlap = (lo: number, hi: number): boolean => lo <= rtpengine.portMax && hi >= rtpengine.portMin;
  const out: [string, string][] = [];
  const range = `${rtpengine.portMin}-${rtpengine.portMax}`;
  if (clash(native.address, rtpengine.interface) && overlap(native.portMin, native.portMax)) {
    out.push(['media.native.portMin', `the range ${native.portMin}-${native.portMax} overlaps media.rtpengine.portMin-portMax (${range}) on ${native.address}`]);
  }
  const tdmAddress = cfg.tdm.rtp.address || rtpengine.interface;
  if (clash(tdmAddress, rtpengine.interface) && overlap(cfg.tdm.rtp.portMin, cfg.tdm.rtp.portMax)) {
    out.push(['tdm.rtp.portMin', `the range ${cfg.tdm.rtp.portMin}-${cfg.tdm.rtp.portMax} overlaps media.rtpengine.portMin-portMax (${range}) on ${tdmAddress}`]);
  }
  return out;
}
