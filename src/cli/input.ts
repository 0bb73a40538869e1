// What the commands read besides their arguments: stdin (whole, or its first line for a
// password), `--data` bodies and `--query k=v` pairs. Malformed input is a usage error
// (exit 2), raised before anything is sent.
import { open } from 'node:fs/promises';
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
 * The largest `--data` body: the gateway's default body limit (BODY_LIMIT_BYTES, 1 MiB); a
 * larger one would be refused with a 413 anyway. A file is refused by its size before it is
 * read, and no more than this is ever read (from a device, a pipe or stdin).
 */
export const DATA_LIMIT_BYTES = 1024 * 1024;

/**
 * The body given with `--data`: inline JSON, `@file.json`, or `-` for stdin. Returns the
 * JSON text exactly as given (it is sent byte for byte, without a leading UTF-8 BOM),
 * after checking that it parses and is at most `limit` bytes.
 */
export async function readDataOption(value: string, stdin: (limit: number) => Promise<Buffer | string> = (limit) => readCapped(process.stdin, limit), limit = DATA_LIMIT_BYTES): Promise<string> {
  let bytes: Buffer;
  let source: string;
  if (value === '-') {
    const read = await stdin(limit);
    bytes = typeof read === 'string' ? Buffer.from(read) : read;
    source = 'stdin';
  } else if (value.startsWith('@')) {
    const file = value.slice(1);
    if (file === '') throw new CliError('--data @<file>: the file name is missing', 2);
    bytes = await readDataFile(file, limit);
    source = file;
  } else {
    bytes = Buffer.from(value);
    source = '--data';
  }
  const what = source === '--data' ? '--data' : `--data (${source})`;
  if (bytes.length > limit) throw new CliError(`${what} is larger than ${limit} bytes, the gateway's body limit`, 2);
  let text = bytes.toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') throw new CliError(`${what} is empty: give a JSON value`, 2);
  try {
    JSON.parse(text);
  } catch (err) {
    // Never echo a binary file's bytes to the terminal: anything unprintable is escaped.
    const message = (err as Error).message.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    throw new CliError(`${what} is not valid JSON: ${message}`, 2);
  }
  return text;
}

/** A --data file: refused (exit 2) when its size is over `limit`, else read, never more than limit + 1 bytes. */
async function readDataFile(file: string, limit: number): Promise<Buffer> {
  const fail = (err: unknown): never => {
    throw new CliError(`--data: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  };
  const handle = await open(file, 'r').catch(fail);
  try {
    const stat = await handle.stat().catch(fail);
    if (stat.isFile() && stat.size > limit) throw new CliError(`--data (${file}) is ${stat.size} bytes, larger than ${limit}, the gateway's body limit`, 2);
    return await readCapped(handle.createReadStream({ autoClose: false }), limit).catch(fail);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Up to `limit` + 1 bytes of a stream: enough to tell that it is too large, without reading it all. */
export async function readCapped(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buffer);
    size += buffer.length;
    if (size > limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit + 1);
}

/** commander's collector for a repeatable `--query k=v` (the value may itself contain '='). */
export function collectQuery(value: string, previous: [string, string][] = []): [string, string][] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected name=value');
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}
