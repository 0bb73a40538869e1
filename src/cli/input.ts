// What the commands read besides their arguments: stdin (whole, or its first line for a
// password), `--data` bodies and `--query k=v` pairs. Malformed input is a usage error
// (exit 2), raised before anything is sent.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { CliError } from './errors.js';

/** All of stdin as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The first line of stdin, without its line ending (a password piped in with
 * `--password-stdin`). Reading stops at the first newline: nothing after it is consumed.
 */
export function readFirstLine(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (line: string) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      stream.pause();
      resolve(line.replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline >= 0) finish(text.slice(0, newline));
    };
    const onEnd = () => finish(text);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
  });
}

/**
 * The body given with `--data`: inline JSON, `@file.json`, or `-` for stdin. Returns the
 * JSON text exactly as given (it is sent byte for byte), after checking that it parses.
 */
export async function readDataOption(value: string, stdin: () => Promise<string> = () => readAll()): Promise<string> {
  let text: string;
  let source: string;
  if (value === '-') {
    text = await stdin();
    source = 'stdin';
  } else if (value.startsWith('@')) {
    const file = value.slice(1);
    if (file === '') throw new CliError('--data @<file>: the file name is missing', 2);
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError(`--data: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
    source = file;
  } else {
    text = value;
    source = '--data';
  }
  if (text.trim() === '') throw new CliError(`${source === '--data' ? '--data' : `--data (${source})`} is empty: give a JSON value`, 2);
  try {
    JSON.parse(text);
  } catch (err) {
    throw new CliError(`${source === '--data' ? '--data' : `--data (${source})`} is not valid JSON: ${(err as Error).message}`, 2);
  }
  return text;
}

/** commander's collector for a repeatable `--query k=v` (the value may itself contain '='). */
export function collectQuery(value: string, previous: [string, string][] = []): [string, string][] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected name=value');
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}
