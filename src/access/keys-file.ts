// The keys file: its format, its validation and the edits `keys create` and `keys revoke`
// make. Pure: reading and writing the file is keys-store.ts.
//
//   {"version":1,"keys":[{"name":"ci","role":"read","hash":"sha256:<hex>",
//                         "apis":["get-asset-id"],"created_at":"2025-01-01T00:00:00.000Z"}]}
//
// Strict: an unknown field is refused, not ignored. A typo such as "api" for "apis"
// would otherwise silently give a key every API.
import { z } from 'zod';
import { API_NAME_PATTERN } from '../definitions/types.js';
import { isHashFormat, type StoredKey } from './keys.js';
import { ROLES, type Role } from './roles.js';

export const KEYS_FILE_VERSION = 1;
/** Key names appear in logs and messages: a short, plain word. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export interface KeysFile {
  version: typeof KEYS_FILE_VERSION;
  keys: StoredKey[];
}

const keySchema = z.strictObject({
  name: z.string({ error: 'required, a string' }).regex(KEY_NAME_PATTERN, `must match ${KEY_NAME_PATTERN.source}`),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
  // Never echo the value: an operator may have pasted the key itself here.
  hash: z.string({ error: 'required, a string' }).refine(isHashFormat, 'must be "sha256:" followed by 64 lower-case hex digits'),
  apis: z
    .array(z.string().regex(API_NAME_PATTERN, `must be an API name (${API_NAME_PATTERN.source})`), { error: 'must be a list of API names' })
    .min(1, 'must list at least one API name (leave it out to allow every API)')
    .optional(),
  created_at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
});

const fileSchema = z.strictObject({
  version: z.literal(KEYS_FILE_VERSION, { error: `must be ${KEYS_FILE_VERSION}` }),
  keys: z.array(keySchema, { error: 'must be a list' }),
});

/** The keys file is unusable; the message names the file and every problem. */
export class KeysFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`keys file ${file}: ${problems.join('; ')}`);
    this.name = 'KeysFileError';
  }
}

/** Parse and validate the text of a keys file; throws KeysFileError naming `file`. */
export function parseKeysFile(text: string, file: string): KeysFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the text around the error.
    throw new KeysFileError(file, ['not valid JSON']);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new KeysFileError(file, parsed.error.issues.map(issueText));
  }
  const problems = duplicateProblems(parsed.data.keys);
  if (problems.length > 0) throw new KeysFileError(file, problems);
  return parsed.data as KeysFile;
}

export function emptyKeysFile(): KeysFile {
  return { version: KEYS_FILE_VERSION, keys: [] };
}

export function serializeKeysFile(content: KeysFile): string {
  return `${JSON.stringify(content, null, 2)}\n`;
}

/** A refused `keys create` or `keys revoke` (a duplicate or unknown name). */
export class KeyEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyEditError';
  }
}

export interface NewKey {
  name: string;
  role: Role;
  apis?: readonly string[] | undefined;
  hash: string;
  createdAt: Date;
}

/** The file with one more key. Names are unique, compared without case. */
export function addKey(content: KeysFile, key: NewKey): KeysFile {
  const entry: StoredKey = {
    name: key.name,
    role: key.role,
    hash: key.hash,
    ...(key.apis && key.apis.length > 0 && { apis: [...new Set(key.apis)] }),
    created_at: key.createdAt.toISOString(),
  };
  const checked = keySchema.safeParse(entry);
  if (!checked.success) throw new KeyEditError(checked.error.issues.map(issueText).join('; '));
  const existing = content.keys.find((k) => sameName(k.name, key.name));
  if (existing) throw new KeyEditError(`a key named '${existing.name}' already exists; revoke it first or choose another name`);
  return { ...content, keys: [...content.keys, entry] };
}

/** The file without the key named `name`. */
export function removeKey(content: KeysFile, name: string): KeysFile {
  const keys = content.keys.filter((k) => !sameName(k.name, name));
  if (keys.length === content.keys.length) throw new KeyEditError(`no key named '${name}'`);
  return { ...content, keys };
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function duplicateProblems(keys: readonly StoredKey[]): string[] {
  const problems: string[] = [];
  const names = new Map<string, number>();
  const hashes = new Map<string, number>();
  keys.forEach((k, i) => {
    const sameNameAt = names.get(k.name.toLowerCase());
    if (sameNameAt !== undefined) problems.push(`keys[${i}].name: duplicate name '${k.name}' (also keys[${sameNameAt}])`);
    else names.set(k.name.toLowerCase(), i);
    const sameHashAt = hashes.get(k.hash);
    if (sameHashAt !== undefined) problems.push(`keys[${i}].hash: the same key as keys[${sameHashAt}]`);
    else hashes.set(k.hash, i);
  });
  return problems;
}

function issueText(issue: z.core.$ZodIssue): string {
  const field = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
  return field ? `${field}: ${message}` : message;
}
