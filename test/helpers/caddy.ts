// Caddy (the system's binary, Debian's caddy 2.6 in CI) running deploy/Caddyfile in front of
// gateways on loopback, for the deployment tests. Nothing about the Caddyfile is rewritten:
// the test sets the addresses through the environment placeholders the file declares.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { freePort, isListening } from './ports.js';
import { REPO_ROOT, tempDir } from './stack.js';

export const CADDYFILE = path.join(REPO_ROOT, 'deploy', 'Caddyfile');

/** The caddy binary: CADDY_PATH, else the first `caddy` on PATH, else null. */
export function findCaddy(): string | null {
  const fromEnv = process.env.CADDY_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'caddy'))) return path.join(dir, 'caddy');
  }
  return null;
}

/** `caddy validate` on deploy/Caddyfile (with `env` for its placeholders). */
export function validateCaddyfile(caddy: string, env: Record<string, string> = {}): { status: number | null; output: string } {
  const run = spawnSync(caddy, ['validate', '--config', CADDYFILE, '--adapter', 'caddyfile'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function readyStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/ready', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

export interface RunningCaddy {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Caddy's JSON log lines (it logs to stderr), parsed. */
  logs(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * `caddy run` on deploy/Caddyfile: plain HTTP on a free loopback port, the admin endpoint
 * off, HOME and the XDG folders in a temporary directory (Caddy writes its storage there).
 * Resolves once /ready answers 200 through it. (Caddy counts an upstream healthy until a
 * check fails and logs "host is up" only on a change, so there is no first-check line.)
 */
export async function startCaddy(caddy: string, upstreams: { a: string; b: string }, timeoutMs = 15_000): Promise<RunningCaddy> {
  const home = await tempDir('evgw-caddy-');
  const port = await freePort();
  const child = spawn(caddy, ['run', '--config', CADDYFILE, '--adapter', 'caddyfile'], {
    cwd: home,
    env: {
      ...process.env,
      HOME: home,
      XDG_DATA_HOME: path.join(home, 'data'),
      XDG_CONFIG_HOME: path.join(home, 'config'),
      SITE_ADDRESS: `:${port}`,
      BIND_ADDRESS: '127.0.0.1',
      CADDY_ADMIN: 'off',
      GATEWAY_A: upstreams.a,
      GATEWAY_B: upstreams.b,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const logs = (): Record<string, unknown>[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    await exit;
    await rm(home, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await isListening(port)) && (await readyStatus(port)) === 200) break;
    if (exited || Date.now() > deadline) {
      const why = exited ? 'exited' : 'timed out';
      await stop();
      throw new Error(`caddy did not start (${why}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${port}`, logs, stop };
}
