// admin: the admin API on a unix socket, used by the spangate CLI's live commands.
import { key } from './key.js';

export const adminSchema = {
  socket: key<string>({
    doc: 'Unix socket of the admin API (newline-delimited JSON requests).',
    format: 'socket-path',
    default: '/run/spangate/admin.sock',
    env: 'SPANGATE_ADMIN_SOCKET',
    reloadable: false,
  }),
  socketMode: key<string>({
    doc: 'File mode of the admin socket (octal); whoever can write it controls the daemon.',
    format: 'file-mode',
    default: '0660',
    env: 'SPANGATE_ADMIN_SOCKET_MODE',
    reloadable: false,
  }),
  requestTimeoutMs: key<number>({
    doc: 'How long the daemon lets one admin request run, and the CLI waits for an answer (ms).',
    format: 'duration-ms',
    default: 5_000,
    env: 'SPANGATE_ADMIN_TIMEOUT_MS',
    reloadable: true,
  }),
};
