// Tokens on disk: <dataDir>/tokens.json, owner-only (file 0600, folder 0700), replaced
// atomically (temp file, fsync, rename, fsync of the folder) so a crash mid-write leaves
// either the old file or the new one, never a torn one. With a key, the tokens inside
// are sealed with AES-256-GCM (crypto.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { open as unseal, seal, TokenDecryptError } from './crypto.js';
import type { TokenSet, TokenStore } from './types.js';

const FILE_NAME = 'tokens.json';
const FORMAT_VERSION = 1;

const tokensSchema = z.object({
  accessToken: z.string().min(1),
  idToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresAt: z.number().int(),
  obtainedAt: z.number().int(),
});

const fileSchema = z.union([
  z.object({
    version: z.literal(FORMAT_VERSION),
    sealed: z.object({ alg: z.literal('aes-256-gcm'), iv: z.string(), tag: z.string(), data: z.string() }),
  }),
  tokensSchema.extend({ version: z.literal(FORMAT_VERSION) }),
]);

export class FileTokenStore implements TokenStore {
  readonly file: string;
  /** Writes run one after another, so the file always ends with the last one asked for. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    /** 32-byte AES key: the file is encrypted at rest when set. */
    private readonly key?: Buffer,
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
      const parsed = fileSchema.parse(JSON.parse(text));
      if (!('sealed' in parsed)) {
        const { version: _version, ...tokens } = parsed;
        if (this.key) this.logger.info({ file: this.file }, 'token file is not encrypted yet; it will be on the next save');
        return tokens;
      }
      if (!this.key) {
        this.logger.error({ file: this.file }, 'token file is encrypted but EVERCYCLE_SECRET_KEY is not set; starting unauthenticated');
        return null;
      }
      return tokensSchema.parse(JSON.parse(unseal(parsed.sealed, this.key)));
    } catch (err) {
      if (err instanceof TokenDecryptError) {
        this.logger.error({ file: this.file }, `${err.message}; starting unauthenticated`);
        return null;
      }
      // Never log the content: it may hold half a token.
      this.logger.warn({ file: this.file }, 'token file is corrupt; starting unauthenticated');
      return null;
    }
  }

  /** Resolves once every write asked for so far is on disk. */
  async flush(): Promise<void> {
    await this.writes;
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
      const content = this.key ? { version: FORMAT_VERSION, sealed: seal(JSON.stringify(tokens), this.key) } : { version: FORMAT_VERSION, ...tokens };
      await handle.writeFile(JSON.stringify(content));
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
