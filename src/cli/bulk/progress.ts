// Progress of a bulk command on stderr (stdout stays for data). At a terminal: a live bar
// (cli-progress). Otherwise (a log file, CI): a plain line now and then, never a bar's
// control characters. Notes (retries, warnings) go through log() so they do not tear the bar.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Work done so far and, when known, the total. */
  update(value: number, total?: number): void;
  /** A line of its own on stderr (printed above the bar when there is one). */
  log(line: string): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  /** What is counted, e.g. "assets". */
  unit: string;
  /** false: no progress at all (--no-progress); log() still prints. */
  enabled: boolean;
  stream?: NodeJS.WriteStream;
  /** Without a terminal, at most one progress line per this many ms. */
  plainIntervalMs?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.enabled && stream.isTTY) return terminalProgress(options, stream);
  return plainProgress(options, stream);
}

function terminalProgress(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: `${options.label} [{bar}] {value}/{total} ${options.unit} | {duration_formatted} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      gracefulExit: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(0, 0);
  let stopped = false;
  return {
    update(value, total) {
      if (stopped) return;
      if (total !== undefined) bar.setTotal(Math.max(total, value));
      bar.update(value);
    },
    log(line) {
      if (stopped) stream.write(`${line}\n`);
      else bars.log(`${line}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bars.stop();
    },
  };
}

function plainProgress(options: ProgressOptions, stream: NodeJS.WritableStream): Progress {
  const interval = options.plainIntervalMs ?? 5_000;
  let last = Date.now();
  return {
    update(value, total) {
      if (!options.enabled || Date.now() - last < interval) return;
      last = Date.now();
      stream.write(`${options.label}: ${value}${total !== undefined ? `/${total}` : ''} ${options.unit}\n`);
    },
    log(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}
