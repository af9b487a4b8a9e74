import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../services/config/index.js';
import type { Logger } from '../services/logger.js';

export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * Reads the API's certificate (a chain allowed) and key, and checks that
 * they belong together: a pair that does not match stops the start-up,
 * naming both files.
 */
export function loadTls(files: TlsFiles): SecureContextOptions {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
    }
  };
  const options = { cert: read(files.cert, 'certificate'), key: read(files.key, 'key') };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new ConfigError(
      `the TLS certificate ${files.cert} and key ${files.key} cannot be used together: ${(err as Error).message}`,
    );
  }
  return options;
}

/** How often the certificate files are checked for a change (a renewal by cert-manager or certbot). */
const WATCH_INTERVAL_MS = 2000;

/**
 * Reloads the certificate and key into a running server on SIGHUP or when
 * either file changes; open connections keep their session. A pair that
 * fails to load is logged and the old one stays.
 */
export function reloadTlsOnChange(
  files: TlsFiles,
  apply: (options: SecureContextOptions) => void,
  log: Logger,
): () => void {
  const reload = (why: string) => {
    try {
      apply(loadTls(files));
      log.info({ cert: files.cert, why }, 'TLS certificate reloaded');
    } catch (err) {
      log.error({ err: (err as Error).message, why }, 'TLS certificate NOT reloaded: the old one stays in use');
    }
  };
  const onHup = () => reload('SIGHUP');
  const onChange = () => reload('file changed');
  process.on('SIGHUP', onHup);
  for (const file of [files.cert, files.key])
    watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, onChange);
  return () => {
    process.off('SIGHUP', onHup);
    for (const file of [files.cert, files.key]) unwatchFile(file, onChange);
  };
}
