import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * JSON logs. Secrets never reach a log line: request bodies are not logged,
 * and any field whose name says it holds a secret is censored wherever it sits.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          '*.password',
          '*.*_password',
          '*.token',
          '*.agent_token',
          '*.secret',
          'req.headers.authorization',
          'req.headers["x-auth-token"]',
        ],
        censor: '******',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
