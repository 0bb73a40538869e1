// Placeholder: replaced by the real command.
import { Command } from 'commander';

export function exportCommand(): Command {
  return new Command('export');
}
