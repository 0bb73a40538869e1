// A fingerprint of a row's request body (pure), kept in the journal with each `sending`, so
// a re-run can tell that line N of the file still holds the row that was sent (the journal
// knows rows by line; an edited file would otherwise shift them). Key order does not count.
import { createHash } from 'node:crypto';
import { isPlainObject } from './flatten.js';

export function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 32);
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
