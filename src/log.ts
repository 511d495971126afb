/** Structured logs (pino): JSON lines for journald and machines, pretty lines on a terminal. */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(options: { level: string; pretty: boolean; destination?: number }): Logger {
  const base = { level: options.level, base: undefined, redact: ['password', '*.password', 'key', '*.key'] };
  if (options.pretty) {
    return pino(
      base,
      pretty({
        colorize: true,
        sync: true,
        singleLine: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname',
        destination: options.destination ?? 1,
      }),
    );
  }
  return pino(base, pino.destination({ dest: options.destination ?? 1, sync: true }));
}
