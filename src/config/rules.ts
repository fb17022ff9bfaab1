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
  ]) {
    problems.push({ path, reason });
  }
  return problems;
}
