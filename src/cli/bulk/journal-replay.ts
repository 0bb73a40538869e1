// The import journal's events and what they add up to (pure). The journal is JSON Lines,
// append-only, one event per line, each on disk before the next step:
//
//   {"event":"start","version":1,"input":"/abs/assets.csv","gateway":"http://...","at":"..."}
//   {"event":"sending","line":17,"hash":"<sha256 of the body, 32 hex>","at":"..."}   before the POST
//   {"event":"created","line":17,"id":412,"at":"..."}           after a 2xx ("verified":true when found by a lookup)
//   {"event":"failed","line":17,"status":400,"error":"...","at":"..."}   answered, NOT created: may be sent again
//   {"event":"unknown","line":17,"error":"...","at":"..."}      no usable answer: it may have been created
//   {"event":"absent","line":17,"at":"..."}                     a lookup found no such asset: may be sent again
//
// A line whose last event is `sending` or `unknown` is in doubt: the POST may have been
// processed. It is never sent again blindly (see verify.ts). Once `created`, a line stays
// created whatever follows.

export const JOURNAL_VERSION = 1;

export type JournalEvent =
  | { event: 'start'; version: number; input: string; gateway: string; at: string }
  | { event: 'sending'; line: number; hash: string; at: string }
  | { event: 'created'; line: number; id: string | number | null; verified?: true; at: string }
  | { event: 'failed'; line: number; status: number | null; error: string; at: string }
  | { event: 'unknown'; line: number; error: string; at: string }
  | { event: 'absent'; line: number; at: string };

export type LineStatus = 'created' | 'not_created' | 'in_doubt';

export interface LineState {
  status: LineStatus;
  /** Hash of the body last sent for this line: the file must still hold the same row. */
  hash: string;
  id?: string | number | null;
  /** The last failure, for not_created and in_doubt lines. */
  error?: string;
  /** When the last POST was started (ms), to tell assets created by it from older ones. */
  sentAt?: number;
}

export interface JournalReplay {
  start?: Extract<JournalEvent, { event: 'start' }>;
  lines: Map<number, LineState>;
  /** Ids the journal already attributes to a line: no other in-doubt line may claim them. */
  claimedIds: Set<string>;
}

export class JournalCorrupt extends Error {}

/**
 * Replays journal lines one at a time (a journal may be large: it is streamed, not read
 * whole). A last line cut short, because the process died while writing it, is never
 * given: that event never completed, so the step after it never started. Any unreadable
 * complete line means the journal was damaged: JournalCorrupt.
 */
export class JournalReplayer {
  readonly result: JournalReplay = { lines: new Map(), claimedIds: new Set() };
  private count = 0;

  /** One complete line (without its newline). */
  add(raw: string): void {
    this.count++;
    if (raw.trim() === '') return;
    const event = parseEvent(raw);
    if (!event) throw new JournalCorrupt(`journal line ${this.count} is not an event this command writes`);
    apply(this.result, event);
  }
}

/** Replay a whole journal text (its unfinished last line, if any, ignored). */
export function replayJournal(text: string): JournalReplay {
  const replayer = new JournalReplayer();
  const rows = text.split('\n');
  // The last piece is '' after a final newline, else an unfinished line: never an event.
  for (let i = 0; i < rows.length - 1; i++) replayer.add(rows[i]!);
  return replayer.result;
}

function apply(replay: JournalReplay, e: JournalEvent): void {
  if (e.event === 'start') {
    replay.start ??= e;
    return;
  }
  const current = replay.lines.get(e.line);
  if (current?.status === 'created') return;
  switch (e.event) {
    case 'sending':
      replay.lines.set(e.line, { status: 'in_doubt', hash: e.hash, sentAt: Date.parse(e.at), error: 'sent, no answer recorded' });
      return;
    case 'created':
      replay.lines.set(e.line, { status: 'created', hash: current?.hash ?? '', id: e.id, ...(current?.sentAt !== undefined && { sentAt: current.sentAt }) });
      if (e.id !== null) replay.claimedIds.add(String(e.id));
      return;
    case 'failed':
      if (current) replay.lines.set(e.line, { ...current, status: 'not_created', error: e.error });
      return;
    case 'unknown':
      if (current) replay.lines.set(e.line, { ...current, status: 'in_doubt', error: e.error });
      return;
    case 'absent':
      if (current) replay.lines.set(e.line, { ...current, status: 'not_created', error: 'not created (verified)' });
      return;
  }
}

function parseEvent(raw: string): JournalEvent | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof e !== 'object' || e === null || typeof e.at !== 'string') return undefined;
  if (e.event === 'start') return typeof e.version === 'number' && typeof e.input === 'string' && typeof e.gateway === 'string' ? (e as JournalEvent) : undefined;
  if (!Number.isSafeInteger(e.line) || (e.line as number) < 1) return undefined;
  switch (e.event) {
    case 'sending':
      return typeof e.hash === 'string' ? (e as JournalEvent) : undefined;
    case 'created':
      return typeof e.id === 'string' || typeof e.id === 'number' || e.id === null ? (e as JournalEvent) : undefined;
    case 'failed':
      return typeof e.error === 'string' && (e.status === null || typeof e.status === 'number') ? (e as JournalEvent) : undefined;
    case 'unknown':
      return typeof e.error === 'string' ? (e as JournalEvent) : undefined;
    case 'absent':
      return e as JournalEvent;
    default:
      return undefined;
  }
}
