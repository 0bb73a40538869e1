// Files holding secrets (the token file, the keys file): never accessible to other users.
// Checked at start-up, before their content is trusted; written 0600 and atomically
// (temp file, fsync, rename, fsync of the folder), so a crash mid-write leaves either
// the old file or the new one, never a torn one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** A secret file others may read or write; the message names the file and the fix. */
export class FilePermissionError extends Error {
  constructor(
    readonly file: string,
    readonly mode: number,
    what: string,
  ) {
    super(`${what} ${file} is accessible to other users (mode ${mode.toString(8).padStart(4, '0')}): run \`chmod 600 ${file}\``);
    this.name = 'FilePermissionError';
  }
}

/**
 * Refuse a secret file that group or others may read or write (mode & 0o077). A missing
 * file, or something that is not a regular file, is left to the caller's own handling.
 * Windows has no such mode bits: nothing to check there.
 */
export async function assertPrivateFile(file: string, what: string): Promise<void> {
  if (process.platform === 'win32') return;
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const mode = info.mode & 0o777;
  if (info.isFile() && (mode & 0o077) !== 0) throw new FilePermissionError(file, mode, what);
  // A private file planted by another local user (their Evercycle session, their keys) is not ours to trust.
  const uid = process.getuid?.();
  if (info.isFile() && uid !== undefined && info.uid !== uid) {
    throw new Error(`${what} ${file} is owned by another user (uid ${info.uid}, this process runs as ${uid}): refusing to trust it`);
  }
}

/** Write `content` to `file` as 0600, atomically; the folder is created 0700 when missing. */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await folder.close();
  }
}
