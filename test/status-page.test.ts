// GET /: the status page. Server-rendered HTML with the version, upstream, breaker state,
// token expiry and every API linked into /docs; nothing in it runs, and everything taken
// from definitions is escaped.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { escapeHtml, formatDuration, renderStatusPage } from '../src/server/status-page.js';
import { VERSION } from '../src/version.js';
import { makeApisDir } from './helpers/apis-dir.js';
import { writeKeys } from './helpers/keys.js';
import { rawRequest } from './helpers/raw-http.js';
import { ONE_TRY, signIn, startGateway, startStack, tempDir, type StartedGateway, type Stack } from './helpers/stack.js';

let open: (Stack | StartedGateway)[] = [];
afterEach(async () => {
  await Promise.all(open.map((s) => s.close()));
  open = [];
});
async function stackWith(env: Record<string, string> = {}): Promise<Stack> {
  const stack = await startStack({ env });
  open.push(stack);
  return stack;
}

describe('GET /', () => {
  it('shows version, upstream, circuit, token expiry and every API linked into /docs', async () => {
    const stack = await stackWith();
    let page = await (await fetch(`${stack.url}/`)).text();
    expect(page).toContain('not signed in');

    await signIn(stack);
    const res = await fetch(`${stack.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    page = await res.text();
    expect(page).toContain(`<span id="version">${VERSION}</span>`);
    expect(page).toMatch(/id="upstream">[^<]*\d+\.\d+\.\d+\.\d+:\d+</);
    expect(page).toContain('id="circuit" class="ok">closed');
    // The simulator's tokens live an hour.
    expect(page).toMatch(/id="token" class="ok">expires in (59 min \d+ s|1 h 0 min)</);

    const list = (await (await fetch(`${stack.url}/api/list`)).json()) as { apis: { name: string }[] };
    expect(list.apis.length).toBeGreaterThan(5);
    for (const api of list.apis) expect(page).toContain(`<a href="/docs#/apis/${api.name}">${api.name}</a>`);
    expect(page).not.toContain('<script');
  });

  it('shows an open circuit', async () => {
    const stack = await stackWith({ ...ONE_TRY, EVERCYCLE_BREAKER_FAILURES: '2', EVERCYCLE_BREAKER_OPEN_MS: '60000' });
    await signIn(stack);
    stack.sim.faults.set('*', { errorRate: 1, errorStatuses: [503] });
    for (let i = 0; i < 2; i++) await (await fetch(`${stack.url}/api/get-all`)).arrayBuffer();
    const page = await (await fetch(`${stack.url}/`)).text();
    expect(page).toContain('id="circuit" class="bad">open');
  });

  it('escapes what comes from definition files', async () => {
    const dir = await makeApisDir({
      shipped: false,
      files: { 'evil.json': { method: 'GET', path: '/v1/x', description: '<script>alert(1)</script><img src=x onerror=alert(2)>' } },
    });
    const stack = await stackWith({ EVERCYCLE_APIS_DIR: dir });
    const page = await (await fetch(`${stack.url}/`)).text();
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('answers HEAD, and 405 in the JSON error shape to other methods', async () => {
    const stack = await stackWith();
    const head = await rawRequest(stack.url, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe('text/html; charset=utf-8');
    const post = await fetch(`${stack.url}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toEqual({ status: 'error', message: expect.stringContaining('GET') });
  });

  it('with API keys: any valid key may read it, no key gets 401; DOCS_PUBLIC=true opens it', async () => {
    const dir = await tempDir();
    const { file, keys } = await writeKeys(dir, { reader: { role: 'read' } });
    const sim = await stackWith();
    const gw = await startGateway(sim.simUrl, { env: { API_KEYS_FILE: file, EVERCYCLE_DATA_DIR: path.join(dir, 'data') } });
    open.push(gw);
    expect((await fetch(`${gw.url}/`)).status).toBe(401);
    expect((await fetch(`${gw.url}/`, { headers: { authorization: `Bearer ${keys.reader}` } })).status).toBe(200);

    const pub = await startGateway(sim.simUrl, { env: { API_KEYS_FILE: file, DOCS_PUBLIC: 'true', EVERCYCLE_DATA_DIR: path.join(dir, 'data2') } });
    open.push(pub);
    expect((await fetch(`${pub.url}/`)).status).toBe(200);
    // Only the pages: the APIs still need a key.
    expect((await fetch(`${pub.url}/api/list`)).status).toBe(401);
  });
});

describe('status page rendering', () => {
  const facts = {
    version: '1.2.3',
    upstream: 'https://api.example.test',
    circuit: 'half-open' as const,
    authenticated: false,
    tokenExpiresInS: null,
    signinBlocked: true,
    apis: [{ name: 'a"b', method: 'GET', path: '/v1/<x>', description: "it's & that" }],
    now: '2026-01-01T00:00:00.000Z',
  };

  it('says why no token is held, and the half-open state', () => {
    const page = renderStatusPage(facts);
    expect(page).toContain('id="token" class="bad">the service account cannot sign in');
    expect(page).toContain('id="circuit" class="warn">half-open');
    expect(page).toContain('id="upstream">https://api.example.test<');
  });

  it('escapes names in links and text', () => {
    const page = renderStatusPage(facts);
    expect(page).toContain('href="/docs#/apis/a%22b">a&quot;b</a>');
    expect(page).toContain('<code>/v1/&lt;x&gt;</code>');
    expect(page).toContain('it&#39;s &amp; that');
  });

  it.each([
    [0, 'expired'],
    [-5, 'expired'],
    [9, '9 s'],
    [61, '1 min 1 s'],
    [3599, '59 min 59 s'],
    [3600, '1 h 0 min'],
    [7384, '2 h 3 min'],
  ])('formatDuration(%s) = %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it('escapeHtml covers the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
