// What the commands print on stdout (JSON answers, tables), written so that a reader that
// goes away (`... | head`: EPIPE) ends the command quietly with its usual exit code, and
// any other write error (`> /dev/full`: ENOSPC, a broken mount) is one `error: cannot
// write the output: ...` line on stderr and exit code 1, never a stack trace.
import { CliError } from './errors.js';

const guarded = new WeakSet<NodeJS.WritableStream>();
const closed = new WeakSet<NodeJS.WritableStream>();

/** Write `text` and wait until it is written (or the reader has gone away). */
export function writeOutput(text: string, stream: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    // The write callback below reports the error; without a listener the stream's 'error'
    // event would end the process with a stack trace.
    stream.on('error', () => {});
  }
  if (closed.has(stream)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    stream.write(text, (err?: Error | null) => {
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') {
        closed.add(stream);
        return resolve();
      }
      reject(new CliError(`cannot write the output: ${err.message}`, 1));
    });
  });
}

/** `value` as pretty JSON and a newline. */
export function printJson(value: unknown, stream: NodeJS.WritableStream = process.stdout): Promise<void> {
  return writeOutput(`${JSON.stringify(value, null, 2)}\n`, stream);
}
