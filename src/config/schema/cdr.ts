// cdr: call detail records in SQLite.
// Keys have the shape of src/config/schema/key.ts (doc, format, default, env, reloadable).

interface Key<T> { doc: string; format: string | readonly unknown[]; default: T; env: string; reloadable: boolean }
const key = <T>(k: Key<T>): Key<T> => k;

export const cdrSchema = {
  enabled: key<boolean>({
    doc: 'Write one CDR row per call (both legs, times, causes, codecs, RTP counters).',
    format: 'boolean', default: true, env: 'SPANGATE_CDR_ENABLED', reloadable: false,
  }),
  path: key<string>({
    doc: 'The CDR database (SQLite, WAL mode; `spangate cdr` reads it while the daemon writes). Empty: cdr.sqlite in daemon.stateDir.',
    format: 'optional-abs-path', default: '', env: 'SPANGATE_CDR_PATH', reloadable: false,
  }),
  retentionDays: key<number>({
    doc: 'Delete CDRs older than this many days (checked hourly). 0 = keep forever.',
    format: 'non-negative-int', default: 400, env: 'SPANGATE_CDR_RETENTION_DAYS', reloadable: true,
  }),
};

/** The CDR database file: cdr.path, or cdr.sqlite in the daemon's state directory. */
export function cdrFile(cfg: { cdr: { path: string }; daemon: { stateDir: string } }): string {
  return cfg.cdr.path !== '' ? cfg.cdr.path : `${cfg.daemon.stateDir.replace(/\/+$/, '')}/cdr.sqlite`;
}
