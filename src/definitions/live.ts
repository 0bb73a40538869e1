// The live definition set, and how it is replaced while the gateway runs: on a change in
// the definitions folder (fs.watch) or on request (SIGHUP). A reload loads the whole folder
// again (all-or-nothing, load.ts); only a valid folder replaces the set, so a half-written
// or broken file never takes APIs away. Requests already running keep the definition they
// started with: the set is an immutable value swapped in one assignment.
import { statSync, watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { DefinitionError } from './errors.js';
import { loadDefinitions } from './load.js';
import type { ApiDefinition, DefinitionProblem, DefinitionSet } from './types.js';

/** What a reload did. */
export type ReloadResult =
  | { ok: true; apis: number; added: string[]; removed: string[]; changed: string[] }
  | { ok: false; problems: readonly DefinitionProblem[] };

export interface DefinitionsStatus {
  folder: string;
  apis: number;
  /** When the live set was loaded (ISO 8601). */
  loadedAt: string;
  watching: boolean;
  /** The last reload that was refused, until a later one succeeds. */
  lastError: { at: string; problems: readonly DefinitionProblem[] } | null;
}

export interface LiveDefinitionsOptions {
  dir: string;
  initial: DefinitionSet;
  logger: Logger;
  /** Quiet period after the last file event before reloading, in ms (editors write in several steps). */
  debounceMs?: number;
  /** How often to check that the watched folder is still the one at EVERCYCLE_APIS_DIR, in ms. */
  folderCheckMs?: number;
  /** Told about every reload, applied or refused (metrics). */
  onReload?: (result: ReloadResult, trigger: string) => void;
}

export class LiveDefinitions {
  private set: DefinitionSet;
  private loadedAt = new Date();
  private lastError: DefinitionsStatus['lastError'] = null;
  private watcher: FSWatcher | null = null;
  /** dev:inode of the folder the watcher is on; null while the folder is missing. */
  private watchedFolder: string | null = null;
  private folderCheck: NodeJS.Timeout | null = null;
  /** The folder was found missing (logged once until it is back). */
  private folderMissing = false;
  private debounce: NodeJS.Timeout | null = null;
  /** When the first file event of the current burst arrived (ms). */
  private firstEventAt: number | null = null;
  /** The reload running now, and whether another was asked for meanwhile. */
  private running: Promise<ReloadResult> | null = null;
  private again: { trigger: string; waiters: ((r: ReloadResult) => void)[] } | null = null;
  private closed = false;

  constructor(private readonly options: LiveDefinitionsOptions) {
    this.set = options.initial;
  }

  /** The set to use for the request at hand. */
  readonly current = (): DefinitionSet => this.set;

  status(): DefinitionsStatus {
    return {
      folder: this.options.dir,
      apis: this.set.list().length,
      loadedAt: this.loadedAt.toISOString(),
      watching: this.watcher !== null,
      lastError: this.lastError,
    };
  }

  /**
   * Load the folder again and swap the set in when it is valid. Reloads never overlap: one
   * asked for while another runs starts after it (so the last change on disk always wins),
   * and several asked for meanwhile share that one run.
   */
  reload(trigger: string): Promise<ReloadResult> {
    if (this.running) {
      return new Promise((resolve) => {
        this.again ??= { trigger, waiters: [] };
        this.again.waiters.push(resolve);
      });
    }
    const run = this.load(trigger).finally(() => {
      this.running = null;
      const next = this.again;
      this.again = null;
      if (next && !this.closed) void this.reload(next.trigger).then((r) => next.waiters.forEach((w) => w(r)));
    });
    this.running = run;
    return run;
  }

  /**
   * Reload on changes in the folder. An fs.watch watcher follows the folder it was opened on,
   * so a folder replaced as a whole (`mv new apis`, a symlink re-pointed, deleted and made
   * again) would go unnoticed: a periodic check of the folder's identity re-opens the
   * watcher on the new one and reloads.
   */
  watch(): void {
    if (this.folderCheck || this.closed) return;
    this.openWatcher();
    this.folderCheck = setInterval(() => void this.checkFolder(), this.options.folderCheckMs ?? 2000);
    this.folderCheck.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.folderCheck) clearInterval(this.folderCheck);
    this.folderCheck = null;
    this.closeWatcher();
    await this.running;
  }

  private openWatcher(): void {
    const { dir, logger } = this.options;
    const debounceMs = this.options.debounceMs ?? 250;
    try {
      this.watchedFolder = folderIdentity(statSync(dir));
      this.watcher = watch(dir, { persistent: false }, (event, name) => {
        if (event === 'rename' && name === path.basename(dir)) {
          // The watched folder itself was deleted or moved away: this watcher is dead. The
          // folder check opens a new one on whatever is at the path now (a re-made folder
          // may even reuse the inode number).
          this.closeWatcher();
          this.watchedFolder = null;
          return;
        }
        // Quiet for debounceMs, or at most 8 x that since the first event: a file written
        // without pause must not put reloads off for ever.
        const now = Date.now();
        this.firstEventAt ??= now;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(
          () => {
            this.debounce = null;
            this.firstEventAt = null;
            void this.reload('file change');
          },
          Math.max(0, Math.min(debounceMs, this.firstEventAt + 8 * debounceMs - now)),
        );
      });
    } catch (err) {
      this.watchedFolder = null;
      logger.warn({ folder: dir, err: (err as Error).message }, 'cannot watch the API definitions folder (retrying every few seconds); send SIGHUP to reload');
      return;
    }
    this.watcher.on('error', (err) => {
      logger.warn({ folder: dir, err: err.message }, 'stopped watching the API definitions folder (retrying every few seconds); send SIGHUP to reload');
      this.closeWatcher();
      this.watchedFolder = null;
    });
  }

  private closeWatcher(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    this.firstEventAt = null;
    this.watcher?.close();
    this.watcher = null;
  }

  /** Whether the folder at the configured path is still the one watched; if not, watch the new one. */
  private async checkFolder(): Promise<void> {
    const { dir, logger } = this.options;
    let now: string | null;
    try {
      now = folderIdentity(await stat(dir));
    } catch {
      now = null;
    }
    if (this.closed) return;
    if (now === null) {
      this.closeWatcher();
      this.watchedFolder = null;
      if (!this.folderMissing) logger.warn({ folder: dir }, 'the API definitions folder is gone; the current definitions stay live until it is back');
      this.folderMissing = true;
      return;
    }
    this.folderMissing = false;
    if (now === this.watchedFolder && this.watcher) return;
    this.closeWatcher();
    logger.info({ folder: dir }, 'the API definitions folder was replaced: watching the new one');
    this.openWatcher();
    await this.reload('folder replaced');
  }

  private async load(trigger: string): Promise<ReloadResult> {
    const { logger, dir } = this.options;
    let result: ReloadResult;
    try {
      const next = await loadDefinitions(dir);
      result = { ok: true, apis: next.list().length, ...difference(this.set, next) };
      this.set = next;
      this.loadedAt = new Date();
      this.lastError = null;
      const { added, removed, changed } = result;
      if (added.length + removed.length + changed.length > 0) logger.info({ trigger, folder: dir, apis: result.apis, added, removed, changed }, 'API definitions reloaded');
      else logger.info({ trigger, folder: dir, apis: result.apis }, 'API definitions reloaded: no change');
    } catch (err) {
      if (!(err instanceof DefinitionError)) throw err;
      result = { ok: false, problems: err.problems };
      this.lastError = { at: new Date().toISOString(), problems: err.problems };
      logger.error({ trigger, folder: dir, problems: err.problems }, 'API definitions NOT reloaded: the folder is invalid; the previous definitions stay live');
    }
    this.options.onReload?.(result, trigger);
    return result;
  }
}

function folderIdentity(info: { dev: number; ino: number }): string {
  return `${info.dev}:${info.ino}`;
}

/** Names added, removed and changed from one set to the next. */
export function difference(before: DefinitionSet, after: DefinitionSet): { added: string[]; removed: string[]; changed: string[] } {
  const added: string[] = [];
  const changed: string[] = [];
  for (const def of after.list()) {
    const old = before.get(def.name);
    if (!old) added.push(def.name);
    else if (fingerprint(old) !== fingerprint(def)) changed.push(def.name);
  }
  const removed = before.list().filter((d) => !after.get(d.name)).map((d) => d.name);
  return { added, removed, changed };
}

function fingerprint(def: ApiDefinition): string {
  const { template: _template, ...data } = def;
  return JSON.stringify(data);
}
