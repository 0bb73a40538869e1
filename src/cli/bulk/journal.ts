// The import journal on disk (its events: journal-replay.ts). Appends are durable before
// they resolve (write + fdatasync), batched: events appended while a flush is under way go
// out together in the next one, so a concurrency of N costs about one sync per round, not
// one per event. A lock file keeps two imports from working on one journal at once (each
// would think the other's rows still need sending): take it before reading the journal.
import { createReadStream } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { CliError } from '../errors.js';
import { JournalCorrupt, JournalReplayer, type JournalEvent, type JournalReplay } from './journal-replay.js';

/** Distributes Omit over the event union, so each event keeps its own fields. */
type WithoutTime<E> = E extends unknown ? Omit<E, 'at'> : never;

/** Replay the journal at `file`; undefined when there is none yet. */
export async function readJournal(file: string): Promise<JournalReplay | undefined> {
  const replayer = new JournalReplayer();
  let rest = '';
  try {
    for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) replayer.add(line);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof JournalCorrupt) throw new CliError(`${file}: ${err.message}; it was damaged or is not an import journal`, 2);
    throw new CliError(`cannot read the journal ${file}: ${(err as Error).message}`, 2);
  }
  return replayer.result;
}

export class Journal {
  private queue: { text: string; resolve: () => void; reject: (err: Error) => void }[] = [];
  /** The flush under way, if any. */
  private flushing: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  /**
   * Open the journal (locked by the caller) for appending; a new one starts with `start`.
   * An unfinished last line (the previous process died writing it) is cut off first, so
   * the next event does not glue onto it.
   */
  static async open(file: string, start: WithoutTime<Extract<JournalEvent, { event: 'start' }>>): Promise<Journal> {
    try {
      const handle = await open(file, 'a', 0o600);
      const size = (await handle.stat()).size;
      const journal = new Journal(file, handle);
      const kept = size === 0 ? 0 : await cutUnfinishedLine(file, handle, size);
      if (kept === 0) await journal.append(start);
      return journal;
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot open the journal ${file}: ${(err as Error).message}`, 2);
    }
  }

  /** Resolves once the event is on disk. */
  append(event: WithoutTime<JournalEvent>): Promise<void> {
    const text = `${JSON.stringify({ ...event, at: new Date().toISOString() })}\n`;
    return new Promise((resolve, reject) => {
      this.queue.push({ text, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.handle.close().catch(() => {});
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        await this.handle.write(batch.map((b) => b.text).join(''));
        await this.handle.datasync();
        for (const b of batch) b.resolve();
      } catch (err) {
        const failure = new CliError(`cannot write the journal ${this.file}: ${(err as Error).message}`, 1);
        for (const b of batch) b.reject(failure);
      }
    }
    this.flushing = undefined;
  }
}

/** Cut the file back to just after its last newline (the tail is read backwards, a block at a time). */
async function cutUnfinishedLine(file: string, handle: FileHandle, size: number): Promise<number> {
  const reader = await open(file, 'r');
  let end = 0;
  try {
    const block = Buffer.alloc(64 * 1024);
    for (let to = size; to > 0 && end === 0; to -= block.length) {
      const from = Math.max(0, to - block.length);
      const { bytesRead } = await reader.read(block, 0, to - from, from);
      const at = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) end = from + at + 1;
    }
  } finally {
    await reader.close();
  }
  if (end !== size) {
    await handle.truncate(end);
    await handle.datasync();
  }
  return end;
}

/**
 * Lock `<journal>.lock` (holding our pid) for this process; a lock whose process is gone is
 * taken over. Resolves to the function that releases it.
 */
export async function lockJournal(journal: string): Promise<() => Promise<void>> {
  const lock = `${journal}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`cannot create ${lock}: ${(err as Error).message}`, 2);
    }
    const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && isRunning(pid)) {
      throw new CliError(`another import (pid ${pid}) is using the journal ${journal}; wait for it, or delete ${lock} if it is gone`, 2);
    }
    await rm(lock, { force: true });
  }
  throw new CliError(`cannot lock the journal ${journal}: ${lock} keeps reappearing`, 2);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
