// /docs: Swagger UI served by the gateway itself, over HTTP. Our page with its CSP and no
// inline script, the few swagger-ui-dist files it needs with the right content types,
// JSON errors for everything else (path traversal included), and access like /api/list.
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_CSP } from '../src/server/routes/docs.js';
import { writeKeys } from './helpers/keys.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { startGateway, tempDir, type StartedGateway } from './helpers/stack.js';

const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** Either JavaScript MIME type is executed by browsers under nosniff. */
const JS = /^(?:text|application)\/javascript; charset=utf-8$/;
const CSS = /^text\/css; charset=utf-8$/;
const PNG = /^image\/png$/;

/** The asset URLs the page refers to, and the content type each must be served with. */
const ASSETS: Record<string, RegExp> = {
  '/docs/swagger-ui.css': CSS,
  '/docs/index.css': CSS,
  '/docs/swagger-ui-bundle.js': JS,
  '/docs/init.js': JS,
  '/docs/favicon-32x32.png': PNG,
  '/docs/favicon-16x16.png': PNG,
};

/** Markers of files that must never be served: this package's and swagger-ui-dist's package.json, /etc/passwd. */
const FORBIDDEN_CONTENT = [/"name":\s*"evercycle-gateway"/, /"name":\s*"swagger-ui-dist"/, /root:x?:0:0/];

let upstream: RecordingUpstream;
let gw: StartedGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gw = await startGateway(upstream.url);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

function expectJsonError(res: RawResponse, status: number | number[]): void {
  expect(Array.isArray(status) ? status : [status]).toContain(res.status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
}

describe('the docs page', () => {
  it.each(['/docs', '/docs/'])('GET %s is our HTML page with a CSP and no inline script', async (target) => {
    const res = await rawRequest(gw.url, 'GET', target);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = res.headers['content-security-policy'];
    expect(csp).toBe(DOCS_CSP);
    const directives = Object.fromEntries(
      String(csp)
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(String(csp)).not.toMatch(/unsafe-eval|unsafe-inline|https?:/);

    const scripts = [...res.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => /src="([^"]+)"/.exec(m[1]!)?.[1])).toEqual(['/docs/swagger-ui-bundle.js', '/docs/init.js']);
    for (const m of scripts) expect(m[2]!.trim()).toBe('');
    expect(res.text).not.toMatch(/\son\w+=|<style|style=/i);
  });

  it('every URL the page refers to is one of ours, under /docs/', async () => {
    const page = await rawRequest(gw.url, 'GET', '/docs');
    const urls = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.sort()).toEqual(Object.keys(ASSETS).sort());
  });

  it('HEAD /docs answers the headers without a body', async () => {
    const res = await rawRequest(gw.url, 'HEAD', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toBe('');
  });

  it.each(['/docs', '/docs/', '/docs/swagger-ui.css', '/docs/init.js'])('POST %s is 405 with Allow, in the JSON error shape', async (target) => {
    const res = await rawRequest(gw.url, 'POST', target);
    expectJsonError(res, 405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('the docs assets', () => {
  it.each(Object.entries(ASSETS))('%s is served as %s with nosniff', async (target, type) => {
    const res = await fetch(`${gw.url}${target}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(type);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = Buffer.from(await res.arrayBuffer());
    if (target !== '/docs/init.js') expect(body.equals(await readFile(path.join(SWAGGER_UI_DIR, path.basename(target))))).toBe(true);
  });

  it('init.js starts Swagger UI on /openapi.json with deep links, and loads nothing from elsewhere', async () => {
    const text = await (await fetch(`${gw.url}/docs/init.js`)).text();
    expect(text).toContain("url: '/openapi.json'");
    expect(text).toContain('deepLinking: true');
    expect(text).toContain('validatorUrl: null');
    expect(text).not.toMatch(/https?:\/\//);
  });

  it('the static files are served by one route, /docs/*, which access control knows', () => {
    expect(gw.gateway.app.hasRoute({ method: 'GET', url: '/docs/*' })).toBe(true);
    expect(gw.gateway.app.hasRoute({ method: 'GET', url: '/docs/swagger-ui.css' })).toBe(false);
  });

  it.each([
    '/docs/xyz',
    '/docs/init.js/x',
    // In swagger-ui-dist, but not needed: not served.
    '/docs/index.html',
    '/docs/swagger-initializer.js',
    '/docs/swagger-ui-bundle.js.map',
    '/docs/package.json',
    '/docs/README.md',
    '/docs/SWAGGER-UI.CSS',
  ])('%s is a JSON 404', async (target) => {
    expectJsonError(await rawRequest(gw.url, 'GET', target), 404);
  });

  it.each([
    '/docs/../package.json',
    '/docs/../../package.json',
    '/docs/%2e%2e/package.json',
    '/docs/%2E%2E%2Fpackage.json',
    '/docs/..%2fpackage.json',
    '/docs/..%5cpackage.json',
    '/docs/.%2e/.%2e/package.json',
    '/docs/%252e%252e%252fpackage.json',
    '/docs/swagger-ui.css/../../package.json',
    '/docs/swagger-ui.css/..%2f..%2fpackage.json',
    '/docs/./package.json',
    '/docs//etc/passwd',
    '/docs/%2fetc%2fpasswd',
    '/docs/%c0%ae%c0%ae/package.json',
    '/docs/../../../../../../etc/passwd',
    '/docs/node_modules/../package.json',
  ])('%s never serves a file outside swagger-ui-dist (a JSON error)', async (target) => {
    const res = await rawRequest(gw.url, 'GET', target);
    expectJsonError(res, [400, 403, 404]);
    for (const marker of FORBIDDEN_CONTENT) expect(res.text).not.toMatch(marker);
  });
});

describe('docs access with API keys configured', () => {
  let keysDir: string;
  let keys: Record<'read' | 'limited', string>;
  let keyed: StartedGateway;
  let publicDocs: StartedGateway;

  beforeAll(async () => {
    keysDir = await tempDir('evgw-docs-keys-');
    const written = await writeKeys(keysDir, { read: { role: 'read' }, limited: { role: 'read', apis: ['get-all'] } });
    keys = written.keys;
    keyed = await startGateway(upstream.url, { env: { API_KEYS_FILE: written.file } });
    publicDocs = await startGateway(upstream.url, { env: { API_KEYS_FILE: written.file, DOCS_PUBLIC: 'true' } });
  });
  afterAll(async () => {
    await keyed?.close();
    await publicDocs?.close();
    await rm(keysDir, { recursive: true, force: true });
  });

  const targets = ['/docs', '/docs/', '/docs/init.js', '/docs/swagger-ui.css', '/openapi.json'];

  it.each(targets)('%s needs a key (401 with WWW-Authenticate), and any valid key will do', async (target) => {
    const none = await rawRequest(keyed.url, 'GET', target);
    expectJsonError(none, 401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expectJsonError(await rawRequest(keyed.url, 'GET', target, { headers: { 'x-api-key': 'egw_not-a-real-key' } }), 401);
    for (const key of [keys.read, keys.limited]) {
      expect((await rawRequest(keyed.url, 'GET', target, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    }
  });

  it('an unknown file under /docs/ needs a key too, then is a 404', async () => {
    expectJsonError(await rawRequest(keyed.url, 'GET', '/docs/xyz'), 401);
    expectJsonError(await rawRequest(keyed.url, 'GET', '/docs/xyz', { headers: { 'x-api-key': keys.read } }), 404);
  });

  it.each(targets)('with DOCS_PUBLIC=true, %s is served without a key', async (target) => {
    expect((await rawRequest(publicDocs.url, 'GET', target)).status).toBe(200);
  });

  it('DOCS_PUBLIC opens the docs only: the APIs still need a key', async () => {
    expectJsonError(await rawRequest(publicDocs.url, 'GET', '/api/list'), 401);
    expectJsonError(await rawRequest(publicDocs.url, 'GET', '/api/get-all'), 401);
  });
});
