// API keys: how one is made, how it is stored (only its hash) and how a presented key is
// matched. Pure apart from the random bytes of a new key; the keys file is keys-file.ts.
//
// A key is `egw_` + 32 random bytes in base64url: 256 bits of entropy. The file keeps
// `sha256:<hex>` of it. A fast hash is enough here, unlike for passwords: scrypt or
// argon2 slow down guessing a low-entropy secret from its hash, but no amount of guessing
// finds a 256-bit random preimage, so a slow hash would only cost CPU on every request.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './roles.js';

export const KEY_PREFIX = 'egw_';
const KEY_BYTES = 32;
/** `egw_` + 43 base64url characters (32 bytes, unpadded). */
const KEY_PATTERN = /^egw_[A-Za-z0-9_-]{43}$/;
const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** A new key. It is shown once to the operator and never stored. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
}

export function isKeyFormat(value: string): boolean {
  return KEY_PATTERN.test(value);
}

export function isHashFormat(value: string): boolean {
  return HASH_PATTERN.test(value);
}

/** The stored form of a key: `sha256:<64 hex digits>`. */
export function hashKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A client the keys file knows: what the gateway attaches to an authenticated request. */
export interface AccessClient {
  readonly name: string;
  readonly role: Role;
  /** When set, the only API names this key may call. */
  readonly apis?: readonly string[];
}

/** One entry of the keys file, as validated by keys-file.ts. */
export interface StoredKey extends AccessClient {
  /** `sha256:<hex>` */
  readonly hash: string;
  readonly created_at: string;
}

/**
 * The keys a gateway accepts, held as raw digests. `find` hashes the presented key and
 * compares it with EVERY stored digest in constant time, without stopping at a match,
 * so neither which entry matched nor whether any did shows in the time taken.
 */
export class KeyRing {
  private readonly entries: readonly { digest: Buffer; client: AccessClient }[];

  constructor(keys: readonly StoredKey[]) {
    this.entries = keys.map((k) => ({
      digest: Buffer.from(k.hash.slice('sha256:'.length), 'hex'),
      client: Object.freeze({ name: k.name, role: k.role, ...(k.apis && { apis: Object.freeze([...k.apis]) }) }),
    }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Every API name some key is limited to (to warn about names no definition has). */
  limitedTo(): string[] {
    return [...new Set(this.entries.flatMap((e) => e.client.apis ?? []))];
  }

  /** The client a presented key belongs to, or undefined for an unknown or malformed key. */
  find(presented: string): AccessClient | undefined {
    // The format is public: refusing a malformed value early reveals nothing stored.
    if (!isKeyFormat(presented)) return undefined;
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: AccessClient | undefined;
    for (const entry of this.entries) {
      // Every digest is 32 bytes (the file's hash format is checked), as timingSafeEqual needs.
      if (timingSafeEqual(digest, entry.digest) && found === undefined) found = entry.client;
    }
    return found;
  }
}

/**
 * The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`; null
 * when neither header carries one, '' when they carry two different values (ambiguous:
 * refused like a wrong key). Both headers with the same key is fine. A repeated X-API-Key
 * arrives joined as `a, b` and fails the key format.
 */
export function presentedKey(headers: { authorization?: string | undefined; 'x-api-key'?: string | string[] | undefined }): string | null {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '')?.[1];
  const header = headers['x-api-key'];
  const apiKey = Array.isArray(header) ? '' : header?.trim();
  if (bearer !== undefined && apiKey !== undefined && apiKey !== bearer) return '';
  return bearer ?? apiKey ?? null;
}
