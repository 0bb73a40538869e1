// Ctrl-C in the prompt-driven commands. Inside a prompt, @inquirer/prompts reads the key
// itself (raw mode) and rejects with ExitPromptError; between prompts (a request in
// flight) the terminal sends SIGINT. Either way: a one-line "cancelled" and exit 130
// (128 + SIGINT, what shells report for Ctrl-C), never a stack trace.
import { CliError } from './errors.js';

export const CANCELLED_EXIT_CODE = 130;

/** Whether a prompt ended because the user pressed Ctrl-C (or Ctrl-D). */
export function isPromptExit(err: unknown): boolean {
  return err instanceof Error && err.name === 'ExitPromptError';
}

/** The prompt's answer; Ctrl-C becomes a CliError with exit code 130. */
export async function ask<T>(prompt: Promise<T>): Promise<T> {
  try {
    return await prompt;
  } catch (err) {
    if (isPromptExit(err)) throw new CliError('cancelled', CANCELLED_EXIT_CODE);
    throw err;
  }
}

/** While `work` runs, SIGINT exits 130 with "cancelled" on stderr. */
export async function cancellableBySigint(work: () => Promise<void>): Promise<void> {
  const onSigint = () => {
    process.stderr.write('\nerror: cancelled\n');
    process.exit(CANCELLED_EXIT_CODE);
  };
  process.on('SIGINT', onSigint);
  try {
    await work();
  } finally {
    process.off('SIGINT', onSigint);
  }
}
