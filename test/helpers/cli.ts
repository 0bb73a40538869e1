// The real command-line entry point (`node dist/cli/main.js serve`, what `npm start` runs)
// as a child process: for start-up behaviour (exit codes, messages, nothing listening) and
// for the spec's curl examples against the built-in simulator.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { SETTINGS } from '../../src/config.js';
import { REPO_ROOT } from './stack.js';

// Built by test/global-setup.ts before any test runs.
export const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** Settings the child must not inherit from whoever runs the tests: every documented one, and NODE_ENV. */
const SETTING_VARS = new Set([...Object.values(SETTINGS).map((s) => s.env), 'NODE_ENV']);

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Parsed JSON log lines written to stdout so far. */
  logs(): Record<string, unknown>[];
  /** Send SIGTERM (if still running) and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** This process's environment without any gateway setting, plus exactly `env`. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !SETTING_VARS.has(k))), ...env };
}

/** Start `evercycle-gateway serve` with exactly `env` as its settings (nothing inherited). */
export function spawnServe(env: Record<string, string>, args: string[] = ['serve']): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async stop() {
      if (!hasExited) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Wait for the "listening" log line and return the gateway's URL. Rejects with the child's
 * output if it exits first or does not start within `timeoutMs`.
 */
export async function waitForListening(proc: CliProcess, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    const line = proc.logs().find((l) => l.msg === 'Evercycle gateway listening');
    if (line && typeof line.url === 'string') return line.url;
    if (exited || Date.now() > deadline) {
      throw new Error(`gateway did not start (${exited ? 'exited' : 'timed out'})\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `evercycle-gateway <args>` to completion with exactly `env` as its settings (nothing
 * inherited), `input` written to its stdin. Rejects if it runs longer than `timeoutMs`.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; input?: string | Buffer; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO_ROOT, env: childEnv(options.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdin!.on('error', () => {}); // a command that does not read stdin may exit first
  child.stdin!.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`evercycle-gateway ${args.join(' ')} did not finish in time\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    // 'close', not 'exit': by then stdout and stderr have been read to the end.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
