/** Anvil's TFTP server (RFC 1350, 2347, 2348, 2349, 7440), read-only and confined to its root. */
export { startTftpServer, TftpConfigError } from './server.js';
export type { TftpEvent, TftpServer, TftpServerOptions, VirtualFile, VirtualFileResolver } from './server.js';
export { namedFiles } from './named-files.js';
export { TftpRefusal } from './root.js';
export type { RefusalReason } from './root.js';
export { ErrorCode } from './packet.js';
export type { Peer, FailureReason } from './transfer.js';
