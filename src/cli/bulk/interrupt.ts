// Ctrl-C (SIGINT) and SIGTERM during a bulk command: the first asks the command to stop
// cleanly (no new work, work in flight finished and recorded, resume state written); a
// second one quits at once. Both commands keep their on-disk state consistent at every
// moment (that is what makes a crash or SIGKILL recoverable), so quitting at once is safe.

export interface Interrupt {
  /** Aborts on the first signal. */
  readonly signal: AbortSignal;
  /** The signal received, once one was. */
  readonly received: NodeJS.Signals | undefined;
  /** 130 after SIGINT, 143 after SIGTERM (128 + the signal number, as shells report it). */
  readonly exitCode: number;
  dispose(): void;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15 };

export function onInterrupt(notice: (message: string) => void): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const exitCode = () => 128 + (SIGNAL_NUMBERS[received ?? 'SIGINT'] ?? 2);
  const handler = (sig: NodeJS.Signals) => {
    if (received) process.exit(exitCode());
    received = sig;
    notice(`${sig}: stopping after the work in flight (again to quit at once)`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return exitCode();
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
