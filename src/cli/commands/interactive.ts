// Placeholder: replaced by the real command.
import { Command } from 'commander';

export function interactiveCommand(): Command {
  return new Command('interactive');
}
