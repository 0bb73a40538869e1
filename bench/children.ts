// Every process the benchmark starts, and stopping them all: at the end, on Ctrl-C, on a
// failure. Each child leads a process group of its own (detached), so stopping it stops
// whatever it forked too (the gateway's cluster workers, for one); Ctrl-C at the terminal
// reaches only the orchestrator, which then stops the groups itself.
import { fork, spawn, type ChildProcess } from 'node:child_process';

export interface Managed {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** How it ended, once it has: exit code or signal. */
  ended(): string | undefined;
  /** The last 16 KB the process wrote to stderr. */
  stderrTail(): string;
  /** What it wrote to stdout, when captured. */
  stdout(): string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A file descriptor for stdout (e.g. a log file); default: ignored. */
  stdoutFd?: number;
  /** Capture stdout in memory instead. */
  stdout?: boolean;
}

const TAIL_BYTES = 16 * 1024;

export class Children {
  private readonly live = new Set<Managed>();

  fork(name: string, module: URL, args: string[], options: SpawnOptions = {}): Managed {
    const child = fork(module, args, { ...this.common(options), stdio: ['ignore', this.stdoutOption(options), 'pipe', 'ipc'] });
    return this.track(name, child);
  }

  spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): Managed {
    const child = spawn(command, args, { ...this.common(options), stdio: ['ignore', this.stdoutOption(options), 'pipe'] });
    return this.track(name, child);
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the leader is gone. */
  async stop(managed: Managed, graceMs = 5000): Promise<void> {
    if (this.live.has(managed)) {
      signalGroup(managed.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(managed.pid, 'SIGKILL'), graceMs);
      await managed.exited;
      clearTimeout(timer);
    }
    // Anything the leader forked and left behind.
    signalGroup(managed.pid, 'SIGKILL');
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((m) => this.stop(m)));
  }

  /** Synchronous last resort (process 'exit'): SIGKILL every group still known. */
  killAllNow(): void {
    for (const m of this.live) signalGroup(m.pid, 'SIGKILL');
  }

  get running(): string[] {
    return [...this.live].map((m) => `${m.name} (pid ${m.pid})`);
  }

  private common(options: SpawnOptions): { env: NodeJS.ProcessEnv; cwd?: string; detached: true } {
    return { env: options.env ?? process.env, ...(options.cwd && { cwd: options.cwd }), detached: true };
  }

  private stdoutOption(options: SpawnOptions): 'ignore' | 'pipe' | number {
    if (options.stdout) return 'pipe';
    return options.stdoutFd ?? 'ignore';
  }

  private track(name: string, child: ChildProcess): Managed {
    if (child.pid === undefined) throw new Error(`could not start ${name}`);
    let tail = '';
    let out = '';
    let ended: string | undefined;
    child.once('exit', (code, signal) => (ended = signal ? `killed by ${signal}` : `exit code ${code}`));
    child.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const managed: Managed = {
      name,
      child,
      pid: child.pid,
      exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
      ended: () => ended,
      stderrTail: () => tail,
      stdout: () => out,
    };
    this.live.add(managed);
    void managed.exited.then(() => this.live.delete(managed));
    // A child that dies must not take the orchestrator down with an unhandled 'error'.
    child.on('error', (err) => {
      tail += `\n[${name}: ${err.message}]`;
    });
    return managed;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
