// GET /docs: Swagger UI over /openapi.json, entirely from this gateway: our own page and
// initializer script, and the few files it needs from the installed swagger-ui-dist
// package. Nothing comes from another origin, and the page runs no inline script.
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import { readOnly } from '../errors.js';

const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The only swagger-ui-dist files served, as paths below /docs. Anything else is a 404. */
const ASSETS: ReadonlySet<string> = new Set(['/swagger-ui.css', '/index.css', '/swagger-ui-bundle.js', '/favicon-32x32.png', '/favicon-16x16.png']);

/**
 * What the page may load and run: scripts, styles and requests from this gateway only
 * (checked in chromium by test/browser.test.ts, which fails on any violation). Swagger
 * UI's stylesheet draws its icons as data: SVG images; the styles React sets go through
 * the DOM and need no 'unsafe-inline'.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Evercycle gateway: API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="stylesheet" href="/docs/index.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/** Deep links read /docs#/<tag>/<operationId>, e.g. /docs#/apis/get-asset-id. */
const INIT_SCRIPT = `'use strict';
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // The default loads a badge from validator.swagger.io.
  validatorUrl: null,
  // An API key typed into "Authorize" stays in this tab, never in localStorage.
  persistAuthorization: false,
});
`;
const INIT_PATH = '/docs/init.js';

export function docsRoutes(app: FastifyInstance, _deps: GatewayDeps): void {
  // In a context of its own, so the hook below sees only the docs pages and files.
  void app.register(async (docs) => {
    const page = (_request: unknown, reply: FastifyReply) => reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).send(PAGE);
    docs.get('/docs', page);
    docs.get('/docs/', page);

    // @fastify/static owns every URL below /docs/ (route '/docs/*'); the one file of ours
    // there is answered first. A preHandler runs after access control has let the request in.
    docs.addHook('preHandler', async (request, reply) => {
      if (request.routeOptions.url === '/docs/*' && request.url.split('?')[0] === INIT_PATH) {
        return reply.type('text/javascript; charset=utf-8').send(INIT_SCRIPT);
      }
    });
    await docs.register(fastifyStatic, {
      root: SWAGGER_UI_DIR,
      prefix: '/docs/',
      // Another route module may register @fastify/static too: no reply.sendFile from us.
      decorateReply: false,
      wildcard: true,
      index: false,
      list: false,
      dotfiles: 'deny',
      // Decoded and normalised by the plugin, which refuses `..` and other non-canonical
      // forms itself (403) before asking; unlisted files go to the JSON 404.
      allowedPath: (pathName) => ASSETS.has(pathName),
    });
  });

  readOnly(app, '/docs', '/docs/', '/docs/*');
}
