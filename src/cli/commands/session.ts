// Placeholder: replaced by the real command.
import { Command } from 'commander';

export function sessionCommands(): Command[] {
  return [new Command('login'), new Command('logout')];
}
