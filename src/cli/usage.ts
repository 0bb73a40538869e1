// Exit codes of commander's own errors. Commander exits 1 on an unknown option or a
// missing argument; the CLI's convention (errors.ts) is 2 for a command used wrongly.
import type { Command } from 'commander';

/** Make commander's usage errors on `command` exit 2 (help and --version still exit 0). */
export function usageErrorsExitTwo(command: Command): Command {
  return command.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
}
