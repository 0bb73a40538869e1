// A throw-away redis-server for the WORKERS measurements: loopback, a free port, nothing persisted.
import { existsSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Children, Managed } from './children.js';
import { freePort } from './ports.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export function redisAvailable(): { ok: true } | { ok: false; reason: string } {
  return existsSync(REDIS_SERVER) ? { ok: true } : { ok: false, reason: `${REDIS_SERVER} not found (apt-get install redis-server): WORKERS>1 needs EVERCYCLE_REDIS_URL` };
}

export async function startRedis(children: Children): Promise<{ url: string; managed: Managed }> {
  const port = await freePort();
  const managed = children.spawn('redis-server', REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
    stdout: true,
  });
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port}:\n${managed.stdout()}${managed.stderrTail()}`);
    await sleep(25);
  }
  return { url: `redis://127.0.0.1:${port}`, managed };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.once('error', () => resolve(false));
  });
}
