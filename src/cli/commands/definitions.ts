// Placeholder: replaced by the real command.
import { Command } from 'commander';

export function definitionsCommand(): Command {
  return new Command('definitions');
}
