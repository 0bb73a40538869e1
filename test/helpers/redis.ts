// A real redis-server for the cluster tests: on a free loopback port, nothing persisted
// (`--save '' --appendonly no`), stopped and restarted on the same port to play an outage.
// Suites skip themselves (with the reason) when /usr/bin/redis-server is missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { freePort } from './ports.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
export const HAVE_REDIS = existsSync(REDIS_SERVER);
export const NO_REDIS_REASON = `${REDIS_SERVER} not found: the cluster tests need a real redis-server (apt-get install redis-server)`;

export interface RedisServer {
  port: number;
  url: string;
  /** Stop the server (SIGKILL by default: an outage, not a tidy shutdown). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again on the same port (empty: nothing was persisted). */
  start(): Promise<void>;
  readonly running: boolean;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    proc.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 5000;
    while (!(await answersPing(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== null;
    },
    async stop(signal = 'SIGKILL') {
      if (!child) return;
      child.kill(signal);
      await exited;
      child = null;
    },
    start,
  };
}

/** Whether a Redis on 127.0.0.1:port answers PING (listening is not enough: it may still be loading). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (c: Buffer) => {
      reply += c.toString('utf8');
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.once('error', () => resolve(false));
  });
}
