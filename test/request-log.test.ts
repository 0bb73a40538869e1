// The request log: exactly one structured JSON line per request, with the request id the
// client sees in X-Request-Id, the API name, status, durations, upstream time and retries;
// and human-readable lines when the command runs in a terminal.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv, CLI } from './helpers/cli.js';
import { rawRequest } from './helpers/raw-http.js';
import { json } from './helpers/recording-upstream.js';
import { startScriptedUpstream } from './helpers/scripted-upstream.js';
import { LogCapture, REPO_ROOT, startGateway, tempDir } from './helpers/stack.js';
import { postJson } from './helpers/tokens.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

const completed = (logs: LogCapture) => logs.entries().filter((l) => l.msg === 'request completed');

describe('request log line', () => {
  it('one line per request, carrying the id returned to the client, the API, status, durations and retries', async () => {
    const up = await startScriptedUpstream();
    const answers = [503, 200];
    up.onData = (_req, res) => json(res, answers.shift() ?? 200, { ok: true });
    const gw = await startGateway(up.url, { env: { EVERCYCLE_RETRY_BASE_MS: '1', EVERCYCLE_RETRY_MAX_MS: '1' } });
    cleanups.push(() => gw.close(), () => up.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    const before = completed(gw.logs).length;

    // The first try is answered 503, the retry 200.
    const retried = await fetch(`${gw.url}/api/get-all?per_page=2`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(up.data.map((r) => r.headers['x-request-id'])).toEqual(['trace-abc.123', 'trace-abc.123']);
    const ok = await fetch(`${gw.url}/api/get-asset-id/3`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(ok.status).toBe(200);
    const generated = ok.headers.get('x-request-id')!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(up.data.at(-1)!.headers['x-request-id']).toBe(generated);
    const missing = await fetch(`${gw.url}/api/no-such-api`);
    expect(missing.status).toBe(404);
    await Promise.all([ok, retried, missing].map((r) => r.arrayBuffer()));
    await new Promise((r) => setTimeout(r, 50));

    const lines = completed(gw.logs).slice(before);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ request_id: 'trace-abc.123', method: 'GET', path: '/api/get-all', status: 200, api: 'get-all', upstream_calls: 2, retries: 1 });
    expect(lines[1]).toMatchObject({ request_id: generated, path: '/api/get-asset-id/3', status: 200, api: 'get-asset-id', upstream_calls: 1, retries: 0 });
    expect(lines[2]).toMatchObject({ status: 404, path: '/api/no-such-api' });
    expect(lines[2]).not.toHaveProperty('api');
    for (const line of lines.slice(0, 2)) {
      expect(typeof line.duration_ms).toBe('number');
      expect(typeof line.upstream_ms).toBe('number');
      expect(line.upstream_ms as number).toBeLessThanOrEqual(line.duration_ms as number);
      expect(line.level).toBe(30);
    }
    // The query never reaches the log (it may carry personal data).
    expect(gw.logs.text).not.toContain('per_page=2');
  });
});

describe('lines for requests that do not complete normally', () => {
  it('a client that goes away: status 499 with its duration, API and upstream time; a URL the router cannot decode: logged too', async () => {
    const up = await startScriptedUpstream();
    let arrived!: () => void;
    const upstreamHasIt = new Promise<void>((r) => (arrived = r));
    up.onData = (_req, res) => {
      arrived();
      setTimeout(() => json(res, 200, {}), 1000);
    };
    const gw = await startGateway(up.url);
    cleanups.push(() => gw.close(), () => up.close());
    const signin = await fetch(`${gw.url}/api/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'signin-trace-1' },
      body: JSON.stringify({ username: 'u@example.com', password: 'pw' }),
    });
    expect(signin.status).toBe(200);
    // The sign-in POST /api/auth makes upstream carries the client's request id too.
    expect(up.signIns.at(-1)!.headers['x-request-id']).toBe('signin-trace-1');

    const { port } = new URL(gw.url);
    const req = http.get({ host: '127.0.0.1', port, path: '/api/get-asset-id/7', agent: false, headers: { 'x-request-id': 'gone-1' } });
    req.on('error', () => {});
    await upstreamHasIt;
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    const deadline = Date.now() + 3000;
    let line: Record<string, unknown> | undefined;
    while (!line && Date.now() < deadline) {
      line = gw.logs.entries().find((l) => l.request_id === 'gone-1' && l.status === 499);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(line).toMatchObject({ method: 'GET', path: '/api/get-asset-id/7', api: 'get-asset-id', upstream_ms: expect.any(Number) });
    expect(line!.duration_ms as number).toBeGreaterThanOrEqual(90);

    const bad = await rawRequest(gw.url, 'GET', '/api/%zz', { headers: { 'x-request-id': 'bad-url-1' } });
    expect(bad.status).toBe(400);
    expect(gw.logs.entries().find((l) => l.request_id === 'bad-url-1')).toMatchObject({ status: 400, path: '/api/%zz', msg: 'request refused before routing' });
  });
});

describe('pretty output in a terminal', () => {
  it('writes human-readable lines when stdout is a terminal (JSON lines otherwise: every spawned-command test parses them)', async () => {
    const env = childEnv({ PORT: '0', EVERCYCLE_DATA_DIR: await tempDir() });
    // `script` gives the child a pseudo-terminal.
    const tty = spawn('script', ['-qfec', `${process.execPath} ${CLI} serve`, '/dev/null'], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    tty.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const deadline = Date.now() + 15_000;
    while (!out.includes('Evercycle gateway listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    tty.kill('SIGTERM');
    await new Promise((r) => tty.once('exit', r));
    const line = out.split(/\r?\n/).find((l) => l.includes('Evercycle gateway listening'));
    expect(line, out).toBeDefined();
    // pino-pretty: "[HH:MM:ss.l] INFO (pid): message", not a JSON object.
    expect(line!.trimStart().startsWith('{')).toBe(false);
    expect(line).toMatch(/\d\d:\d\d:\d\d\.\d{3}\]? .*INFO/);
  });
});
