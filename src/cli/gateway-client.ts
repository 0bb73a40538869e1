// How the command-line client talks to a running gateway: one undici pool, the API key
// (when one is configured) on every request, answers parsed as JSON, and every failure
// turned into a CliError whose message is what a person at a terminal needs to read.
import { readFileSync, statSync } from 'node:fs';
import { Pool } from 'undici';
import { CliError } from './errors.js';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:5000';

/** Which gateway to talk to, and the client API key to present (never taken from argv). */
export interface GatewayTarget {
  url: string;
  apiKey?: string;
}

/**
 * The gateway URL from --gateway, else EVERCYCLE_GATEWAY_URL, else the local default; the
 * API key from EVERCYCLE_GATEWAY_KEY or the file named by EVERCYCLE_GATEWAY_KEY_FILE.
 */
export function gatewayTarget(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (message) => process.stderr.write(`warning: ${message}\n`),
): GatewayTarget {
  const raw = option ?? env.EVERCYCLE_GATEWAY_URL ?? DEFAULT_GATEWAY_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`invalid gateway URL '${raw}' (expected e.g. ${DEFAULT_GATEWAY_URL})`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`invalid gateway URL '${raw}': use http:// or https://`, 2);
  let apiKey = env.EVERCYCLE_GATEWAY_KEY || undefined;
  if (!apiKey && env.EVERCYCLE_GATEWAY_KEY_FILE) {
    try {
      apiKey = readFileSync(env.EVERCYCLE_GATEWAY_KEY_FILE, 'utf8').trim();
    } catch (err) {
      throw new CliError(`cannot read EVERCYCLE_GATEWAY_KEY_FILE: ${(err as Error).message}`, 2);
    }
    // Used all the same (the gateway refuses its own secret files when so; a client key is the user's call), but said.
    const file = env.EVERCYCLE_GATEWAY_KEY_FILE;
    const mode = process.platform === 'win32' ? 0 : statSync(file, { throwIfNoEntry: false })?.mode ?? 0;
    if ((mode & 0o077) !== 0) {
      warn(`EVERCYCLE_GATEWAY_KEY_FILE ${file} can be read by other users (mode ${(mode & 0o777).toString(8).padStart(3, '0')}): \`chmod 600 ${file}\``);
    }
  }
  return { url: url.origin + url.pathname.replace(/\/+$/, ''), ...(apiKey && { apiKey }) };
}

export interface GatewayAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when empty, the raw text when not JSON). */
  body: unknown;
}

export interface RequestOptions {
  /** Query parameters in order; repeated names allowed. */
  query?: readonly (readonly [string, string])[];
  /** Sent as JSON (a Buffer or string is sent as is, labelled JSON). */
  body?: unknown;
  signal?: AbortSignal;
}

/** A `{status: "success", data}` answer's data, or the gateway's error as a CliError. */
export interface ApiCall {
  /** Positional path parameters, in the definition's placeholder order. */
  pathParams?: readonly string[];
  query?: readonly (readonly [string, string])[];
  data?: unknown;
  signal?: AbortSignal;
}

export class GatewayClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    readonly target: GatewayTarget,
    options: { connections?: number; timeoutMs?: number } = {},
  ) {
    const url = new URL(target.url);
    this.basePath = url.pathname === '/' ? '' : url.pathname;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 8,
      headersTimeout: options.timeoutMs ?? 120_000,
      bodyTimeout: options.timeoutMs ?? 120_000,
    });
  }

  /** One request to the gateway. Connection failures become a CliError naming the gateway. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<GatewayAnswer> {
    const search = queryString(options.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.target.apiKey) headers.authorization = `Bearer ${this.target.apiKey}`;
    let body: string | Buffer | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = Buffer.isBuffer(options.body) || typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    let res;
    try {
      res = await this.pool.request({ method: method as 'GET', path: `${this.basePath}${path}${search}`, headers, body, signal: options.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new CliError(`cannot reach the gateway at ${this.target.url}: ${connectionProblem(err)}`);
    }
    const text = await res.body.text();
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.statusCode, headers: res.headers, body: parsed };
  }

  /**
   * Call an API through the gateway: `/api/<name>/<path params...>` with the definition's
   * method (looked up by the caller). Returns the whole envelope on success; throws a
   * CliError with the gateway's message otherwise.
   */
  async call(method: string, api: string, call: ApiCall = {}): Promise<GatewayAnswer> {
    const answer = await this.request(method, apiPath(api, call.pathParams), { query: call.query, body: call.data, signal: call.signal });
    if (answer.status >= 400) throw answerError(answer);
    return answer;
  }

  /** The gateway's API list (GET /api/list). */
  async listApis(): Promise<ListedApi[]> {
    const answer = await this.request('GET', '/api/list');
    if (answer.status !== 200) throw answerError(answer);
    const apis = (answer.body as { apis?: unknown } | undefined)?.apis;
    // Something else answering on that port (another service, a proxy's HTML page).
    if (!Array.isArray(apis)) throw new CliError(`${this.target.url}/api/list did not answer an API list: is this an Evercycle gateway?`);
    return apis as ListedApi[];
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** `/api/<name>/<path params...>`, each segment percent-encoded (a `/` in a value stays one segment). */
export function apiPath(api: string, pathParams: readonly string[] = []): string {
  return `/api/${[api, ...pathParams].map((s) => encodeURIComponent(s)).join('/')}`;
}

/** `?k=v&...` in the given order (repeated names kept), or '' without parameters. */
export function queryString(query: readonly (readonly [string, string])[] | undefined): string {
  return query && query.length > 0 ? `?${new URLSearchParams(query.map(([k, v]): [string, string] => [k, v])).toString()}` : '';
}

export interface ListedApi {
  name: string;
  method: string;
  path: string;
  description: string;
}

/** A refused answer as one line: status and the gateway's message. */
export function answerError(answer: GatewayAnswer): CliError {
  const body = answer.body as { message?: unknown } | undefined;
  const message = body && typeof body === 'object' && typeof body.message === 'string' ? body.message : typeof answer.body === 'string' ? answer.body.slice(0, 200) : 'no message';
  const retryAfter = answer.headers['retry-after'];
  return new CliError(`HTTP ${answer.status}: ${message}${typeof retryAfter === 'string' ? ` (retry after ${retryAfter} s)` : ''}`, 1, answer);
}

function connectionProblem(err: unknown): string {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (is it running? set --gateway or EVERCYCLE_GATEWAY_URL)';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'no answer in time';
  return code ? `${code}: ${(err as Error).message}` : (err as Error).message;
}
