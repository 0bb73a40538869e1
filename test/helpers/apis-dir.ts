// A temporary API definitions folder: the shipped apis/ plus (or instead of) extra files,
// for tests that need an API the repository does not ship (a slow one, a public one) or a
// malformed file. Point a gateway at it with EVERCYCLE_APIS_DIR.
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, tempDir } from './stack.js';

export interface ApisDirOptions {
  /** Copy the shipped apis/ first (default true). */
  shipped?: boolean;
  /** Extra files: name (with .json) -> content (an object is written as JSON, a string as is). */
  files?: Record<string, unknown>;
}

export async function makeApisDir(options: ApisDirOptions = {}): Promise<string> {
  const dir = await tempDir('evgw-apis-');
  if (options.shipped ?? true) await cp(path.join(REPO_ROOT, 'apis'), dir, { recursive: true });
  for (const [name, content] of Object.entries(options.files ?? {})) {
    await writeFile(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}
