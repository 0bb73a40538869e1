// Reading and writing the keys file (format and validation: keys-file.ts).
import { readFile } from 'node:fs/promises';
import { assertPrivateFile, writePrivateFile } from '../private-file.js';
import { KeyRing } from './keys.js';
import { emptyKeysFile, KeysFileError, parseKeysFile, serializeKeysFile, type KeysFile } from './keys-file.js';

const WHAT = 'the keys file (API_KEYS_FILE)';

/**
 * The gateway's keys, at start-up: the file must exist, be private to its owner (0600)
 * and be valid. Anything else throws, naming the file and the problem.
 */
export async function loadKeyRing(file: string): Promise<KeyRing> {
  await assertPrivateFile(file, WHAT);
  const content = await readKeysFile(file);
  if (content === null) {
    throw new KeysFileError(file, ['does not exist; create a key with `evercycle-gateway keys create --name <name> --role <admin|write|read>`']);
  }
  return new KeyRing(content.keys);
}

/** The parsed file, or null when it does not exist. */
export async function readKeysFile(file: string): Promise<KeysFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new KeysFileError(file, [`cannot be read (${code ?? (err as Error).message})`]);
  }
  return parseKeysFile(text, file);
}

/** The parsed file, or an empty one when it does not exist yet (for `keys create`). */
export async function readKeysFileOrEmpty(file: string): Promise<KeysFile> {
  return (await readKeysFile(file)) ?? emptyKeysFile();
}

/** Replace the file atomically, 0600. */
export function writeKeysFile(file: string, content: KeysFile): Promise<void> {
  return writePrivateFile(file, serializeKeysFile(content));
}
