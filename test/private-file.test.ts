// Secret files (token file, keys file) are trusted only when private: mode 0600-style
// and owned by the user the gateway runs as.
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { assertPrivateFile, FilePermissionError } from '../src/private-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'private-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('accepts a 0600 file of our own and a missing file', async () => {
  const file = path.join(dir, 'tokens.json');
  await expect(assertPrivateFile(file, 'token file')).resolves.toBeUndefined();
  await writeFile(file, '{}', { mode: 0o600 });
  await expect(assertPrivateFile(file, 'token file')).resolves.toBeUndefined();
});

it.each([0o644, 0o640, 0o604, 0o620, 0o602])('refuses mode %o, naming the file and the fix', async (mode) => {
  const file = path.join(dir, 'keys.json');
  await writeFile(file, '{}');
  await chmod(file, mode);
  const err = await assertPrivateFile(file, 'keys file').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FilePermissionError);
  expect((err as Error).message).toContain(`chmod 600 ${file}`);
});

it.skipIf(process.getuid?.() !== 0)('refuses a 0600 file owned by another user (needs root to chown)', async () => {
  const file = path.join(dir, 'tokens.json');
  await writeFile(file, '{}', { mode: 0o600 });
  await chown(file, 65534, 65534);
  await expect(assertPrivateFile(file, 'token file')).rejects.toThrow(/owned by another user \(uid 65534/);
});
