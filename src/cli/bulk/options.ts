// Option parsers shared by the bulk commands; a bad value is a usage error (exit 2).
import { InvalidArgumentError } from 'commander';

/** An integer from min to max, for commander's argParser. */
export function intOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}
