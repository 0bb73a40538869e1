// Shared by the access tests: a keys file written the way `keys create` writes it
// (0600, only hashes), with one key per client the tests need.
import path from 'node:path';
import { generateKey, hashKey } from '../../src/access/keys.js';
import { addKey, emptyKeysFile } from '../../src/access/keys-file.js';
import { writeKeysFile } from '../../src/access/keys-store.js';
import type { Role } from '../../src/access/roles.js';

export interface KeySpec {
  role: Role;
  apis?: string[];
}

/** Write `<dir>/keys.json` with a fresh key per name; returns the file and the keys. */
export async function writeKeys<N extends string>(dir: string, specs: Record<N, KeySpec>): Promise<{ file: string; keys: Record<N, string> }> {
  const file = path.join(dir, 'keys.json');
  let content = emptyKeysFile();
  const keys = {} as Record<N, string>;
  for (const [name, spec] of Object.entries(specs) as [N, KeySpec][]) {
    keys[name] = generateKey();
    content = addKey(content, { name, role: spec.role, apis: spec.apis, hash: hashKey(keys[name]), createdAt: new Date() });
  }
  await writeKeysFile(file, content);
  return { file, keys };
}
