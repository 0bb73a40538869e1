// A one-shot "our client went away" flag with listeners: what the proxy hands the upstream
// client so an abandoned call stops. Deliberately not an AbortController: one per request,
// with EventTarget listeners added and removed per try, cost a few percent of a proxied
// call's CPU time.
export class Cancellation {
  private cancelled = false;
  private listeners: (() => void)[] | null = null;

  get aborted(): boolean {
    return this.cancelled;
  }

  /** Cancel (once): every listener is called. */
  abort(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners) for (const listener of listeners) listener();
  }

  /** Call `listener` on cancellation (at once if already cancelled); returns the function that removes it. */
  onAbort(listener: () => void): () => void {
    if (this.cancelled) {
      listener();
      return noop;
    }
    (this.listeners ??= []).push(listener);
    return () => {
      const i = this.listeners?.indexOf(listener) ?? -1;
      if (i >= 0) this.listeners!.splice(i, 1);
    };
  }
}

function noop(): void {}

/** Resolves after `ms`; rejects with `reason()` as soon as `cancellation` is cancelled. */
export function cancellableSleep(ms: number, cancellation: Cancellation | undefined, reason: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cancellation?.aborted) return reject(reason());
    const timer = setTimeout(() => {
      off?.();
      resolve();
    }, ms);
    const off = cancellation?.onAbort(() => {
      clearTimeout(timer);
      reject(reason());
    });
  });
}
