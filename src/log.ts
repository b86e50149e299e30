import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Paths pino blanks wherever they appear. Bodies are never logged in the first place; this is the
 * second line of defence for secrets and personal data that could ride along in an error or a
 * request object.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-growrk-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'secret',
  'secrets',
  'token',
  'accessToken',
  'password',
  'body',
  'payload',
  'email',
  'primaryEmail',
  '*.email',
  '*.primaryEmail',
  '*.body',
  '*.secret',
  '*.token',
  '*.accessToken',
];

/**
 * Creates the service logger: JSON lines on stdout (written asynchronously, so a burst of webhooks
 * coalesces its log writes instead of paying one synchronous write each), or `destination`.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'growrk-sync' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: pino.stdSerializers.err,
        req: (req: { id?: unknown; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
