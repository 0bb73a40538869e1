// The "cheapest possible Node proxy" reference (run as a child process by main.ts): the
// gateway's stack (Fastify + an undici Pool sized like the gateway's) with nothing else:
// no definitions, no tokens, no envelope, no logging. It forwards method, path, headers
// (less hop-by-hop and Host) and the body as a stream, and streams the answer back.
//   node passthrough.js <upstream origin> [port]
import type { Readable } from 'node:stream';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { serveRequests } from './ipc.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function forwardable(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: passthrough.js <upstream origin> [port]');
// As the gateway's pool (src/upstream/client.ts): 128 connections, 10 s keep-alive.
const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 10_000, keepAliveMaxTimeout: 10_000 });
const app = Fastify({ logger: false });
// Bodies are not parsed: the request stream itself is handed to undici.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

app.all('/*', async (request, reply) => {
  const answer = await pool.request({
    method: request.method as 'GET',
    path: request.raw.url ?? '/',
    headers: forwardable(request.headers),
    body: request.body as Readable | undefined,
  });
  return reply.code(answer.statusCode).headers(forwardable(answer.headers)).send(answer.body);
});

serveRequests(() => null);
const address = await app.listen({ port: Number(process.argv[3] ?? 0), host: '127.0.0.1' });
process.send?.({ type: 'ready', port: Number(new URL(address).port) });
