// Tokens on disk: <dataDir>/tokens.json, owner-only (file 0600, folder 0700), replaced
// atomically (temp file, fsync, rename, fsync of the folder) so a crash mid-write leaves
// either the old file or the new one, never a torn one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TokenSet, TokenStore } from './types.js';

const FILE_NAME = 'tokens.json';
const FORMAT_VERSION = 1;

const fileSchema = z.object({
  version: z.literal(FORMAT_VERSION),
  accessToken: z.string().min(1),
  idToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresAt: z.number().int(),
  obtainedAt: z.number().int(),
});

export class FileTokenStore implements TokenStore {
  readonly file: string;
  /** Writes run one after another, so the file always ends with the last one asked for. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    this.file = path.join(dir, FILE_NAME);
  }

  async load(): Promise<TokenSet | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ file: this.file, code: (err as NodeJS.ErrnoException).code }, 'token file unreadable; starting unauthenticated');
      }
      return null;
    }
    try {
      const { version: _version, ...tokens } = fileSchema.parse(JSON.parse(text));
      return tokens;
    } catch {
      // Never log the content: it may hold half a token.
      this.logger.warn({ file: this.file }, 'token file is corrupt; starting unauthenticated');
      return null;
    }
  }

  save(tokens: TokenSet): Promise<void> {
    return this.serialized(() => this.write(tokens));
  }

  clear(): Promise<void> {
    return this.serialized(() => rm(this.file, { force: true }));
  }

  private serialized(task: () => Promise<void>): Promise<void> {
    const run = this.writes.then(task, task);
    this.writes = run.catch(() => {});
    return run;
  }

  private async write(tokens: TokenSet): Promise<void> {
    await this.ensureDir();
    const tmp = path.join(this.dir, `.${FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify({ version: FORMAT_VERSION, ...tokens }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDir(this.dir);
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode alone; tighten it.
    await chmod(this.dir, 0o700);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await handle.close();
  }
}
