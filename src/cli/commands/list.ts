// Placeholder: replaced by the real command.
import { Command } from 'commander';

export function listCommand(): Command {
  return new Command('list');
}
