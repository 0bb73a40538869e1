// The live definition set, and how it is replaced while the gateway runs: on a change in
// the definitions folder (fs.watch) or on request (SIGHUP). A reload loads the whole folder
// again (all-or-nothing, load.ts); only a valid folder replaces the set, so a half-written
// or broken file never takes APIs away. Requests already running keep the definition they
// started with: the set is an immutable value swapped in one assignment.
import { watch, type FSWatcher } from 'node:fs';
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
  /** Told about every reload, applied or refused (metrics). */
  onReload?: (result: ReloadResult, trigger: string) => void;
}

export class LiveDefinitions {
  private set: DefinitionSet;
  private loadedAt = new Date();
  private lastError: DefinitionsStatus['lastError'] = null;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
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

  /** Reload on changes in the folder. A watcher that fails is logged; SIGHUP still works. */
  watch(): void {
    if (this.watcher || this.closed) return;
    const debounceMs = this.options.debounceMs ?? 250;
    try {
      this.watcher = watch(this.options.dir, { persistent: false }, () => {
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          this.debounce = null;
          void this.reload('file change');
        }, debounceMs);
      });
    } catch (err) {
      this.options.logger.warn({ folder: this.options.dir, err: (err as Error).message }, 'cannot watch the API definitions folder; send SIGHUP to reload');
      return;
    }
    this.watcher.on('error', (err) => {
      this.options.logger.warn({ folder: this.options.dir, err: err.message }, 'stopped watching the API definitions folder; send SIGHUP to reload');
      this.stopWatching();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    await this.running;
  }

  private stopWatching(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    this.watcher?.close();
    this.watcher = null;
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
      else logger.debug({ trigger, folder: dir }, 'API definitions reloaded: no change');
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
