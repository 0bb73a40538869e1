// The one error a command raises to stop: main.ts prints its message on stderr (never a
// stack trace) and exits with its code. 1: the work failed (an API error, an unreachable
// gateway, invalid rows); 2: the command was used wrongly (bad option, bad file).
import type { GatewayAnswer } from './gateway-client.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
    /** The gateway's answer, when the error is one. */
    readonly answer?: GatewayAnswer,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Run a command's work; a CliError (or any error) ends the process with a one-line message. */
export async function runCommand(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    const code = err instanceof CliError ? err.exitCode : 1;
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = code;
  }
}
