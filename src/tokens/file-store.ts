// Tokens on disk: <dataDir>/tokens.json, file 0600 in a folder created 0700, replaced
// atomically (private-file.ts) so a crash mid-write leaves either the old file or the
// new one, never a torn one. With a key, the tokens inside
// are sealed with AES-256-GCM (crypto.ts).
//
// The file records which upstream issued the tokens: tokens are only ever loaded for
// that same upstream, so changing EVERCYCLE_BASE_URL never sends one account's tokens to
// another server (and a restarted built-in simulator, which forgot its sessions, starts
// from a clean "not authenticated").
import { access, constants, mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { assertPrivateFile, writePrivateFile } from '../private-file.js';
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
    upstream: z.string(),
    sealed: z.object({ alg: z.literal('aes-256-gcm'), iv: z.string(), tag: z.string(), data: z.string() }),
  }),
  tokensSchema.extend({ version: z.literal(FORMAT_VERSION), upstream: z.string() }),
]);

export interface FileTokenStoreOptions {
  dir: string;
  logger: Logger;
  /** The upstream base URL the tokens belong to. */
  upstream: string;
  /** 32-byte AES key: the file is encrypted at rest when set. */
  key?: Buffer | undefined;
}

export class FileTokenStore implements TokenStore {
  readonly file: string;
  private readonly dir: string;
  private readonly logger: Logger;
  /** Writes run one after another, so the file always ends with the last one asked for. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FileTokenStoreOptions) {
    this.dir = options.dir;
    this.logger = options.logger;
    this.file = path.join(options.dir, FILE_NAME);
  }

  /**
   * Make sure tokens can be stored, before the gateway starts: the folder exists (created
   * 0700 when missing) and is a writable directory. Throws with a clear message otherwise.
   */
  async prepare(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      if (!(await stat(this.dir)).isDirectory()) throw new Error('not a directory');
      await access(this.dir, constants.W_OK);
    } catch (err) {
      throw new Error(`EVERCYCLE_DATA_DIR ${this.dir} cannot hold the token file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    // An existing folder is left as the operator made it (it may be shared); the file is 0600 anyway.
    const mode = (await stat(this.dir)).mode & 0o777;
    if (mode & 0o077) this.logger.warn({ dir: this.dir, mode: mode.toString(8) }, 'data folder is accessible to other users; 0700 is recommended');
    // Before the tokens are loaded: a file others can read has leaked them, one they can write may be forged.
    await assertPrivateFile(this.file, 'the token file (in EVERCYCLE_DATA_DIR)');
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
    const { key, upstream } = this.options;
    try {
      const parsed = fileSchema.parse(JSON.parse(text));
      if (parsed.upstream !== upstream) {
        this.logger.warn({ file: this.file }, 'token file belongs to another Evercycle upstream; starting unauthenticated');
        return null;
      }
      if (!('sealed' in parsed)) {
        const { version: _version, upstream: _upstream, ...tokens } = parsed;
        if (key) this.logger.info({ file: this.file }, 'token file is not encrypted yet; it will be on the next save');
        return tokens;
      }
      if (!key) {
        this.logger.error({ file: this.file }, 'token file is encrypted but EVERCYCLE_SECRET_KEY is not set; starting unauthenticated');
        return null;
      }
      return tokensSchema.parse(JSON.parse(unseal(parsed.sealed, key)));
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

  save(tokens: TokenSet): Promise<void> {
    return this.serialized(() => this.write(tokens));
  }

  clear(): Promise<void> {
    return this.serialized(() => rm(this.file, { force: true }));
  }

  /** Resolves once every write asked for so far is on disk. */
  async flush(): Promise<void> {
    await this.writes;
  }

  private serialized(task: () => Promise<void>): Promise<void> {
    const run = this.writes.then(task, task);
    this.writes = run.catch(() => {});
    return run;
  }

  private async write(tokens: TokenSet): Promise<void> {
    const { key, upstream } = this.options;
    const content = key
      ? { version: FORMAT_VERSION, upstream, sealed: seal(JSON.stringify(tokens), key) }
      : { version: FORMAT_VERSION, upstream, ...tokens };
    await writePrivateFile(this.file, JSON.stringify(content));
  }
}
