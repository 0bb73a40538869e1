// The one logger factory. Redaction is declared here, once, for every secret-bearing
// field a log line could carry; nothing else decides what is safe to log.
import { writeSync } from 'node:fs';
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'username',
  '*.username',
  'refresh_token',
  '*.refresh_token',
  'accessToken',
  'idToken',
  'refreshToken',
  '*.accessToken',
  '*.idToken',
  '*.refreshToken',
  'AccessToken',
  'IdToken',
  'RefreshToken',
  '*.AccessToken',
  '*.IdToken',
  '*.RefreshToken',
  'req.body.password',
  'req.body.refresh_token',
  'req.headers.authorization',
  'req.headers["access-token"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["access-token"]',
  'headers.cookie',
];

export interface LoggerOptions {
  level: string;
  /** Human-readable output (development in a terminal). Needs the pino-pretty dev dependency. */
  pretty?: boolean;
  /** Where to write; defaults to stdout. Tests pass a stream to capture lines. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } });
  return pino(base, stdoutDestination());
}

/** Lines are handed to stdout once this much is waiting, or FLUSH_MS after the first of them. */
const BATCH_CHARS = 16 * 1024;
const FLUSH_MS = 100;

/**
 * stdout, written asynchronously and in batches: a request never waits for its log line to
 * reach the terminal or pipe, and under load one write carries many lines (a write per
 * line cost about a tenth of the gateway's CPU time per request). A line waits at most
 * FLUSH_MS. Bounded: if whatever reads stdout stops reading, lines beyond 16 MiB waiting
 * are dropped (said once on stderr) rather than growing the heap. What is still waiting
 * when the process exits is written synchronously first.
 */
function stdoutDestination(): pino.DestinationStream {
  const dest = pino.destination({ dest: 1, sync: false, minLength: 0, maxLength: 16 * 1024 * 1024 });
  let dropped = false;
  dest.on('drop', () => {
    if (!dropped) process.stderr.write('log lines dropped: stdout is not being read fast enough\n');
    dropped = true;
  });
  const batch = new LineBatch(dest);
  process.once('exit', () => {
    // Synchronously, in order: what the destination holds, then the lines still batched.
    try {
      dest.flushSync();
    } catch {
      // A write under way (it completes on its own), or stdout closed.
    }
    try {
      const rest = batch.take();
      if (rest) writeSync(1, rest);
    } catch {
      // Nothing more can be done at exit (stdout closed).
    }
  });
  return batch;
}

/** Collects log lines and hands them on joined: by size, or after FLUSH_MS. */
class LineBatch implements pino.DestinationStream {
  private lines: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly dest: pino.DestinationStream) {}

  write(line: string): boolean {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= BATCH_CHARS) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      // A waiting line never keeps the process alive: exit flushes it.
      this.timer.unref();
    }
    return true;
  }

  flush(): void {
    const text = this.take();
    if (text) this.dest.write(text);
  }

  /** The lines waiting, joined (empty when none), no longer waiting. */
  take(): string {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return '';
    const text = this.lines.join('');
    this.lines = [];
    this.chars = 0;
    return text;
  }
}
