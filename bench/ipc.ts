// Messages between the orchestrator and its Node children (upstream, passthrough, load
// worker), over the IPC channel of child_process.fork. A child exits when the channel
// closes, so it never outlives the orchestrator.
import type { ChildProcess } from 'node:child_process';

export interface ReadyMessage {
  type: 'ready';
  port: number;
  /** The upstream's never-expiring token pair, for direct and passthrough calls. */
  staticToken?: { idToken: string; accessToken: string };
}

export interface RequestMessage {
  id: number;
  type: string;
  [key: string]: unknown;
}

export interface ReplyMessage {
  id: number;
  type: 'reply';
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** In a child: answer the orchestrator's requests with `handle`, and exit when it goes away. */
export function serveRequests(handle: (message: RequestMessage) => Promise<unknown> | unknown): void {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: unknown) => {
    const message = raw as RequestMessage;
    if (typeof message?.id !== 'number') return;
    Promise.resolve()
      .then(() => handle(message))
      .then(
        (value) => process.send?.({ id: message.id, type: 'reply', ok: true, value } satisfies ReplyMessage),
        (err: unknown) => process.send?.({ id: message.id, type: 'reply', ok: false, error: (err as Error).stack ?? String(err) } satisfies ReplyMessage),
      );
  });
}

let nextId = 1;

/** In the orchestrator: send `type` (with fields) to a child and wait for its reply. */
export function ask<T>(child: ChildProcess, type: string, fields: Record<string, unknown> = {}, timeoutMs = 0): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (raw: unknown): void => {
      const reply = raw as ReplyMessage;
      if (reply?.type !== 'reply' || reply.id !== id) return;
      cleanup();
      if (reply.ok) resolve(reply.value as T);
      else reject(new Error(reply.error));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${signal ?? code}) before answering '${type}'`));
    };
    if (timeoutMs > 0) timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child ${child.pid} did not answer '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ id, type, ...fields });
  });
}

/** Wait for a child's first `ready` message (or its exit, or the timeout). */
export function waitReady(child: ChildProcess, what: string, stderrTail: () => string, timeoutMs = 15_000): Promise<ReadyMessage> {
  return new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${timeoutMs} ms${tail(stderrTail())}`)), timeoutMs);
    const onMessage = (raw: unknown): void => {
      if ((raw as ReadyMessage)?.type === 'ready') finish(undefined, raw as ReadyMessage);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      // Give the stderr pipe a moment to deliver its last lines.
      setTimeout(() => finish(new Error(`${what} exited (${signal ?? `code ${code}`}) while starting${tail(stderrTail())}`)), 100);
    };
    const finish = (err?: Error, ready?: ReadyMessage): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(ready!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function tail(text: string): string {
  return text.trim() ? `\n--- stderr (last lines) ---\n${text.trimEnd()}` : '';
}
