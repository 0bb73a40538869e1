// Content-Encoding decoding of upstream bodies. We wrap upstream JSON in our own
// envelope, so a compressed body must be decoded before it can be parsed; an encoding
// we cannot decode is an upstream failure rather than garbage passed on as "data".
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { UpstreamUnavailableError } from './errors.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotli = promisify(zlib.brotliDecompress);

export async function decodeBody(raw: Buffer, contentEncoding: string | string[] | undefined, maxBytes: number): Promise<Buffer> {
  const header = Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding;
  if (!header || raw.length === 0) return raw;
  // Encodings are listed in the order they were applied; undo them in reverse.
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity')
    .reverse();
  if (codings.length > 2) throw new UpstreamUnavailableError('upstream response has too many content encodings');
  let body = raw;
  const opts = { maxOutputLength: maxBytes };
  try {
    for (const coding of codings) {
      if (coding === 'gzip' || coding === 'x-gzip') body = await gunzip(body, opts);
      else if (coding === 'br') body = await brotli(body, opts);
      else if (coding === 'deflate') body = await inflate(body, opts);
      else throw new UpstreamUnavailableError(`upstream response has unsupported content-encoding "${coding}"`);
    }
  } catch (err) {
    if (err instanceof UpstreamUnavailableError) throw err;
    throw new UpstreamUnavailableError(`upstream response could not be decoded (${(err as Error).message})`);
  }
  return body;
}
