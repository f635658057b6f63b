import { pino, type DestinationStream, type Logger } from "pino";

/*
 * The process logger, handed to Probot so that its HTTP request log goes through it too. Probot
 * logs every request's headers at info level, and the report route is called with the caller's
 * own GitHub token: credentials are removed before anything is written.
 */

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  "headers.authorization",
  "request.headers.authorization",
  'res.headers["set-cookie"]',
];

/** The browser sign-in's callback carries GitHub's one-time code and the state in its query. */
const OAUTH_QUERY = /([?&](?:code|state)=)[^&"\s\\]+/g;

export function createLogger(level = "info", destination?: DestinationStream): Logger {
  const options = {
    name: "probot",
    level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    // Last, on the written line: the URL appears both in the request object and in the message.
    hooks: { streamWrite: (line: string) => line.replace(OAUTH_QUERY, "$1[redacted]") },
  };
  return destination ? pino(options, destination) : pino(options);
}
