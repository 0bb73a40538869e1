// The status page at GET /: plain server-rendered HTML (no script, no build step) for an
// operator's glance. Pure: it renders what it is given; routes/status.ts gathers the facts.
import type { BreakerState } from '../upstream/breaker.js';

export interface StatusFacts {
  version: string;
  /** "simulator" or the upstream base URL. */
  upstream: string;
  circuit: BreakerState;
  authenticated: boolean;
  /** Seconds until the held token stops counting as valid; null without one. */
  tokenExpiresInS: number | null;
  signinBlocked: boolean;
  /** With EVERCYCLE_REDIS_URL: whether the Redis shared by the instances is reachable; absent without Redis. */
  redis?: 'up' | 'down' | undefined;
  apis: readonly { name: string; method: string; path: string; description: string }[];
  definitions?: { folder: string; loadedAt: string; watching: boolean; lastError: { at: string; problems: readonly { file: string; field?: string; message: string }[] } | null };
  /** When the page was rendered (ISO 8601). */
  now: string;
}

/** The page's Content-Security-Policy: nothing runs, nothing is fetched but same-origin links. */
export const STATUS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** "59 min 12 s", "3 h 4 min", "expired". */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return 'expired';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

function tokenText(facts: StatusFacts): { text: string; tone: Tone } {
  if (facts.authenticated && facts.tokenExpiresInS !== null) return { text: `expires in ${formatDuration(facts.tokenExpiresInS)}`, tone: 'ok' };
  if (facts.signinBlocked) return { text: 'the service account cannot sign in (POST /api/auth)', tone: 'bad' };
  if (facts.tokenExpiresInS !== null) return { text: 'expired or about to: renewed on the next call', tone: 'warn' };
  return { text: 'not signed in (POST /api/auth)', tone: 'warn' };
}

type Tone = 'ok' | 'warn' | 'bad';
const CIRCUIT_TONE: Record<BreakerState, Tone> = { closed: 'ok', 'half-open': 'warn', open: 'bad' };
const CIRCUIT_TEXT: Record<BreakerState, string> = {
  closed: 'closed: calls flow',
  'half-open': 'half-open: probing Evercycle',
  open: 'open: Evercycle is failing, calls are paused',
};

export function renderStatusPage(facts: StatusFacts): string {
  const token = tokenText(facts);
  const e = escapeHtml;
  const rows = facts.apis
    .map(
      (api) =>
        `<tr><td><a href="/docs#/apis/${encodeURIComponent(api.name)}">${e(api.name)}</a></td><td><code>${e(api.method)}</code></td><td><code>${e(api.path)}</code></td><td>${e(api.description)}</td></tr>`,
    )
    .join('\n');
  const defs = facts.definitions;
  const defsError = defs?.lastError
    ? `<p class="bad" id="definitions-error">Last reload refused at ${e(defs.lastError.at)} (the previous definitions stay live):</p><ul>${defs.lastError.problems
        .map((p) => `<li><code>${e(p.file)}</code>${p.field ? ` <code>${e(p.field)}</code>` : ''}: ${e(p.message)}</li>`)
        .join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evercycle gateway ${e(facts.version)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2733; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.sub { color: #5b6775; margin-top: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1.2rem; }
dt { font-weight: 600; }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #dde3ea; vertical-align: top; }
.ok { color: #17803d; } .warn { color: #a15c00; } .bad { color: #b42318; }
nav a { margin-right: 1rem; }
</style>
</head>
<body>
<h1>Evercycle gateway</h1>
<p class="sub">version <span id="version">${e(facts.version)}</span> · rendered ${e(facts.now)}</p>
<nav><a href="/docs">API docs</a><a href="/openapi.json">OpenAPI</a><a href="/health">/health</a><a href="/ready">/ready</a><a href="/metrics">/metrics</a></nav>
<h2>Status</h2>
<dl>
<dt>Upstream</dt><dd id="upstream">${e(facts.upstream === 'simulator' ? 'built-in Evercycle simulator (not the real API)' : facts.upstream)}</dd>
<dt>Circuit breaker</dt><dd id="circuit" class="${CIRCUIT_TONE[facts.circuit]}">${e(CIRCUIT_TEXT[facts.circuit])}</dd>
<dt>Evercycle token</dt><dd id="token" class="${token.tone}">${e(token.text)}</dd>
${facts.redis ? `<dt>Redis</dt><dd id="redis" class="${facts.redis === 'up' ? 'ok' : 'bad'}">${facts.redis === 'up' ? 'reachable: the session is shared with the other instances' : 'unreachable: tokens held here keep serving until they expire; /ready answers 503 once none is held'}</dd>` : ''}
${defs ? `<dt>Definitions</dt><dd id="definitions">${facts.apis.length} APIs from <code>${e(defs.folder)}</code>, loaded ${e(defs.loadedAt)}${defs.watching ? ', watched for changes' : ''}</dd>` : ''}
</dl>
${defsError}
<h2>APIs</h2>
<table id="apis">
<thead><tr><th>Name</th><th>Method</th><th>Upstream path</th><th>Description</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
