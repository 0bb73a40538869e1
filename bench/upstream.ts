// The fast upstream (run as a child process by main.ts): fixed JSON answers serialised
// once at start, node:http with keep-alive, so it is never the bottleneck. It answers:
//   GET  /v1/asset/{id}      one ~1 KB asset (the same one for every id)
//   GET  /v1/asset?...       a page of 500 assets (~300 KB), with X-Total-Count
//   POST /v1/asset/create    201 and the created asset; the body is compared with the expected one
//   POST /v1/auth/signin     Cognito-style tokens (ExpiresIn configurable at run time)
//   POST /v1/auth/refresh    new AccessToken + IdToken, counted (see tokens.ts)
// Data calls must carry a pair it issued (Authorization: <IdToken>, access-token), else 401.
// The orchestrator reads the counters and changes ExpiresIn over IPC, never over HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildFixtures } from './fixtures.js';
import { serveRequests } from './ipc.js';
import { TokenIssuer } from './tokens.js';

const fixtures = buildFixtures();
const issuer = new TokenIssuer(3600);
const staticToken = issuer.staticPair();
const counters = { requests: 0, creates: 0, createBodyMismatches: 0 };

const json = (body: Buffer, extra: Record<string, string> = {}): http.OutgoingHttpHeaders => ({
  'content-type': 'application/json',
  'content-length': String(body.length),
  ...extra,
});
const ASSET_HEADERS = json(fixtures.asset);
const PAGE_HEADERS = json(fixtures.page, { 'x-total-count': '12500' });
const CREATED_HEADERS = json(fixtures.created);
const NOT_FOUND = Buffer.from('{"message":"Not Found"}');
const EXPIRED = Buffer.from('{"message":"The incoming token has expired"}');
const UNAUTHORIZED = Buffer.from('{"message":"Unauthorized"}');
const BAD_REFRESH = Buffer.from('{"message":"Invalid Refresh Token"}');

function send(res: http.ServerResponse, status: number, body: Buffer, headers: http.OutgoingHttpHeaders = json(body)): void {
  res.writeHead(status, headers);
  res.end(body);
}

function readBody(req: http.IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

function authorized(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const check = issuer.check(req.headers.authorization, req.headers['access-token']);
  if (check === 'ok') return true;
  send(res, 401, check === 'expired' ? EXPIRED : UNAUTHORIZED);
  return false;
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const server = http.createServer({ keepAlive: true }, (req, res) => {
  counters.requests++;
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith('/v1/asset')) {
    if (!authorized(req, res)) return;
    if (url.startsWith('/v1/asset/')) send(res, 200, fixtures.asset, ASSET_HEADERS);
    else send(res, 200, fixtures.page, PAGE_HEADERS);
    return;
  }
  if (req.method === 'POST') {
    readBody(req, (body) => {
      if (url === '/v1/asset/create') {
        if (!authorized(req, res)) return;
        counters.creates++;
        if (!body.equals(fixtures.createBody)) counters.createBodyMismatches++;
        send(res, 201, fixtures.created, CREATED_HEADERS);
      } else if (url === '/v1/auth/signin') {
        send(res, 200, Buffer.from(JSON.stringify(issuer.signIn())));
      } else if (url === '/v1/auth/refresh') {
        const answer = issuer.refresh(parseJson(body).refresh_token);
        if (answer) send(res, 200, Buffer.from(JSON.stringify(answer)));
        else send(res, 400, BAD_REFRESH);
      } else {
        send(res, 404, NOT_FOUND);
      }
    });
    return;
  }
  req.resume();
  send(res, 404, NOT_FOUND);
});
// Longer than any client's idle timeout: the upstream never closes a pooled connection first.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;

serveRequests((message) => {
  switch (message.type) {
    case 'stats':
      return { ...counters, tokens: issuer.snapshot(), expiresInS: issuer.expiresInS };
    case 'reset':
      counters.requests = counters.creates = counters.createBodyMismatches = 0;
      issuer.resetStats();
      return null;
    case 'expires-in':
      issuer.expiresInS = Number(message.seconds);
      return null;
    default:
      throw new Error(`unknown request '${message.type}'`);
  }
});

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port, staticToken });
});
