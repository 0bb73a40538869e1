// What the run ran on, so results from different runs can be compared.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { MachineInfo } from './results.js';

export function machineInfo(root: string, loadGenerator: string): MachineInfo {
  const git = (...args: string[]): string | undefined => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const status = git('status', '--porcelain');
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadGenerator,
    gitCommit: git('rev-parse', 'HEAD'),
    gitDirty: status === undefined ? undefined : status.length > 0,
  };
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
export function clockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return value > 0 ? value : 100;
  } catch {
    return 100;
  }
}
