// The real command in a pseudo-terminal, for what only happens at a terminal: prompts
// (@inquirer/prompts puts the terminal in raw mode, so typed keys are not echoed), Ctrl-C,
// and output fitted to the terminal's width. Debian's `script -qfec <cmd> /dev/null`
// gives the child a pty; the test types into script's stdin and reads the screen output.
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './stack.js';
import { childEnv, CLI } from './cli.js';

export const KEYS = { enter: '\r', ctrlC: '\u0003', down: '\u001b[B' } as const;

export interface PtyRun {
  child: ChildProcess;
  /** Everything the terminal showed so far, escape sequences and carriage returns removed. */
  screen(): string;
  /** Wait until `text` appears after what earlier expects consumed; rejects with the screen after `timeoutMs`. */
  expect(text: string, timeoutMs?: number): Promise<void>;
  /** Type keys (wait for the prompt first: before raw mode the terminal would echo them). */
  type(keys: string): void;
  /** The command's exit code (script -e passes it on). */
  exited: Promise<number | null>;
  kill(): void;
}

/** Run `evercycle-gateway <args>` at a terminal `cols` wide, with exactly `env` as settings. */
export function runInPty(args: string[], options: { env?: Record<string, string>; cols?: number } = {}): PtyRun {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ');
  // script copies no window size from a pipe: set one, as a real terminal would have.
  const sized = `stty cols ${options.cols ?? 100} rows 40; exec ${command}`;
  const child = spawn('script', ['-qfec', sized, '/dev/null'], { cwd: REPO_ROOT, env: childEnv(options.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  child.stdout!.on('data', (c: Buffer) => (raw += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (raw += c.toString('utf8')));
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let cursor = 0;
  const screen = () => stripTerminal(raw);
  return {
    child,
    screen,
    async expect(text, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = screen().indexOf(text, cursor);
        if (at >= 0) {
          cursor = at + text.length;
          return;
        }
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`never saw ${JSON.stringify(text)} on the terminal; it shows:\n${screen()}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    type(keys) {
      child.stdin!.write(keys);
    },
    exited,
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Text without ANSI escape sequences (colours, cursor moves) and carriage returns. */
export function stripTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][0-9A-Za-z]|\u001b[=>78NOM]|\r/g, '');
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
