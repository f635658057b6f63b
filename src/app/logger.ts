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
];

export function createLogger(level = "info", destination?: DestinationStream): Logger {
  const options = { name: "probot", level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  return destination ? pino(options, destination) : pino(options);
}
