// Environment -> typed settings, validated once at start-up.
// Every setting lives in SETTINGS below with its default, unit and reason; the README
// table and `serve --help` are printed from the same list. Nothing else reads process.env.
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { percentDecode } from './definitions/params.js';

/** The package's own definitions: src/ and dist/ both sit one level below the package root. */
const SHIPPED_APIS_DIR = fileURLToPath(new URL('../apis', import.meta.url));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// Decimal digits only: z.coerce (Number()) would read " " as 0 (PORT=" " -> a random
// port) and "0x50" or "8e1" as 80.
const wholeNumber = z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number);
const port = wholeNumber.pipe(z.number().int().min(0).max(65535));
const positiveInt = wholeNumber.pipe(z.number().int().positive());
const nonNegativeInt = wholeNumber.pipe(z.number().int().min(0));
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
// zod runs every refinement even after .url() failed, so each must survive a value that
// is not a URL at all (new URL() would throw a TypeError out of loadSettings).
const asUrl = (u: string): URL | null => (URL.canParse(u) ? new URL(u) : null);
const httpUrl = z
  .string()
  .url()
  .refine((u) => asUrl(u) === null || /^https?:$/.test(asUrl(u)!.protocol), 'must be an http:// or https:// URL')
  .refine((u) => asUrl(u) === null || (!asUrl(u)!.search && !asUrl(u)!.hash), 'must not contain a query or fragment')
  .refine((u) => asUrl(u) === null || (!asUrl(u)!.username && !asUrl(u)!.password), 'must not contain credentials');
// TRUST_PROXY: false, true, a hop count, or a comma list of proxy-addr entries (an address,
// address/prefix, or one of its names). Checked here so a typo stops the start with a clear message.
const isProxyAddress = (entry: string): boolean => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
};
const trustProxy = z
  .string()
  .trim()
  .min(1)
  .refine(
    (v) => /^(?:true|false|\d+)$/i.test(v) || v.split(',').every((entry) => isProxyAddress(entry.trim())),
    'must be false, true, a hop count, or a comma list of proxy addresses/CIDRs (e.g. 127.0.0.1,10.0.0.0/8)',
  );
// CORS_ORIGINS: exact origins as browsers send them in the Origin header (no path, no "*").
const corsOrigins = z
  .string()
  .min(1)
  .refine(
    (v) => v.split(',').every((o) => o.trim() === '' || (URL.canParse(o.trim()) && /^https?:$/.test(new URL(o.trim()).protocol) && new URL(o.trim()).origin === o.trim())),
    'must be a comma list of origins such as https://app.example.com (scheme, host and port only; no path, no trailing slash, no "*")',
  );
const upstreamPath = z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be an absolute path such as /v1/auth/refresh');

interface SettingDoc {
  env: string;
  default: string;
  description: string;
}

/** One row per environment variable: the single source for parsing, the README and --help. */
export const SETTINGS = {
  port: { env: 'PORT', default: '5000', description: 'TCP port the gateway listens on (5000, as the original server).', schema: port },
  host: { env: 'HOST', default: '127.0.0.1', description: 'Interface to bind. Loopback by default; use 0.0.0.0 to accept remote clients.', schema: z.string().min(1) },
  baseUrl: {
    env: 'EVERCYCLE_BASE_URL',
    default: '',
    description: 'Evercycle API base URL, e.g. https://api.evercycle.io. Unset: the built-in simulator is started in-process and used.',
    schema: httpUrl.optional(),
  },
  apisDir: {
    env: 'EVERCYCLE_APIS_DIR',
    default: '',
    description: 'Folder of API definition files (one <name>.json per API). Unset: the `apis/` folder shipped with the package, wherever it is started from.',
    schema: z.string().min(1).optional(),
  },
  dataDir: { env: 'EVERCYCLE_DATA_DIR', default: 'data', description: 'Folder for the token file (created 0700; the file is 0600).', schema: z.string().min(1) },
  redisUrl: {
    env: 'EVERCYCLE_REDIS_URL',
    default: '',
    description: 'Redis (redis://[:password@]host:port/db, or rediss://) shared by several gateway instances: tokens, the refresh lock, rate limits. Unset: the token file, one instance.',
    schema: z
      .string()
      .url()
      // Written out in full: WHATWG parsing accepts `redis:/:pw@host` and ioredis then reads
      // it as a socket path, quoting the password in its connection errors.
      .refine((u) => /^rediss?:\/\/[^/?#]/i.test(u), 'must be a redis://host or rediss://host URL')
      .refine((u) => asUrl(u) === null || asUrl(u)!.hostname !== '', 'must name a host')
      .refine((u) => asUrl(u) === null || /^\/?(\d{1,5})?$/.test(asUrl(u)!.pathname), 'the path must be a database number (/0, /1, ...) or nothing')
      .refine((u) => asUrl(u) === null || !asUrl(u)!.hash, 'must not contain a fragment (a # in the password must be written %23)')
      .refine((u) => asUrl(u) === null || percentDecode(asUrl(u)!.password) !== undefined, 'the password has a malformed %-escape')
      .optional(),
  },
  redisPrefix: { env: 'EVERCYCLE_REDIS_PREFIX', default: 'evercycle-gateway:', description: 'Prefix of every Redis key the gateway uses (one per gateway deployment sharing a Redis).', schema: z.string().min(1) },
  redisLockTtlMs: {
    env: 'EVERCYCLE_REDIS_LOCK_TTL_MS',
    default: '15000',
    description: 'Lifetime of the cluster-wide refresh/sign-in lock, in ms: how long other instances wait when its holder dies mid-refresh.',
    schema: positiveInt,
  },
  workers: {
    env: 'WORKERS',
    default: '1',
    description: 'Worker processes on this machine sharing the port (more than 1 needs EVERCYCLE_REDIS_URL); at most 64. One per core is the useful number.',
    schema: wholeNumber.pipe(z.number().int().min(1).max(64, 'at most 64')),
  },
  username: { env: 'EVERCYCLE_USERNAME', default: '', description: 'Service account user. With the password set, the gateway signs in by itself whenever it has no valid token.', schema: z.string().min(1).optional() },
  password: { env: 'EVERCYCLE_PASSWORD', default: '', description: 'Service account password (never logged).', schema: z.string().min(1).optional() },
  tokenSkewS: { env: 'EVERCYCLE_TOKEN_SKEW_S', default: '60', description: 'Seconds before expiry at which a token stops counting as valid and is refreshed.', schema: nonNegativeInt },
  signinPath: { env: 'EVERCYCLE_SIGNIN_PATH', default: '/v1/auth/signin', description: 'Upstream sign-in path.', schema: upstreamPath },
  refreshPath: { env: 'EVERCYCLE_REFRESH_PATH', default: '/v1/auth/refresh', description: 'Upstream token refresh path (POST {"refresh_token": ...}).', schema: upstreamPath },
  connectTimeoutMs: { env: 'EVERCYCLE_CONNECT_TIMEOUT_MS', default: '5000', description: 'Upstream connect timeout in ms (per API: connect_timeout_ms).', schema: positiveInt },
  timeoutMs: {
    env: 'EVERCYCLE_TIMEOUT_MS',
    default: '30000',
    description: 'Default for both the headers and the body timeout, in ms (per API: timeout_ms). A timeout answers 504.',
    schema: positiveInt,
  },
  headersTimeoutMs: { env: 'EVERCYCLE_HEADERS_TIMEOUT_MS', default: '', description: 'Time from starting a try (waiting for and opening a connection included) to the response headers, in ms (per API: headers_timeout_ms). Unset: EVERCYCLE_TIMEOUT_MS.', schema: positiveInt.optional() },
  bodyTimeoutMs: { env: 'EVERCYCLE_BODY_TIMEOUT_MS', default: '', description: 'Time to read a whole response body, in ms (per API: body_timeout_ms). Unset: EVERCYCLE_TIMEOUT_MS.', schema: positiveInt.optional() },
  retryAttempts: { env: 'EVERCYCLE_RETRY_ATTEMPTS', default: '3', description: 'Tries per call, the first included, for retryable failures (per API: retry.attempts; 1 disables retries).', schema: positiveInt },
  retryBudgetMs: { env: 'EVERCYCLE_RETRY_BUDGET_MS', default: '10000', description: 'Retries must start within this many ms of the first try (per API: retry.budget_ms). A longer Retry-After is passed to the client at once.', schema: nonNegativeInt },
  retryBaseDelayMs: { env: 'EVERCYCLE_RETRY_BASE_MS', default: '200', description: 'Backoff cap of the first retry in ms; doubles per retry, full jitter.', schema: nonNegativeInt },
  retryMaxDelayMs: { env: 'EVERCYCLE_RETRY_MAX_MS', default: '3000', description: 'Largest backoff cap in ms.', schema: nonNegativeInt },
  breakerFailures: { env: 'EVERCYCLE_BREAKER_FAILURES', default: '10', description: 'Consecutive upstream failures (no answer or 5xx) that open the circuit breaker.', schema: positiveInt },
  breakerOpenMs: { env: 'EVERCYCLE_BREAKER_OPEN_MS', default: '10000', description: 'How long the open breaker answers 503 before letting one probe through, in ms.', schema: positiveInt },
  signinBackoffMs: { env: 'EVERCYCLE_SIGNIN_BACKOFF_MS', default: '5000', description: 'After a rejected service-account sign-in, wait this long (doubling per failure) before the next attempt, in ms.', schema: positiveInt },
  signinBackoffMaxMs: { env: 'EVERCYCLE_SIGNIN_BACKOFF_MAX_MS', default: '300000', description: 'Longest wait between rejected service-account sign-ins, in ms.', schema: positiveInt },
  signinMaxFailures: {
    env: 'EVERCYCLE_SIGNIN_MAX_FAILURES',
    default: '3',
    description: 'After this many rejected service-account sign-ins in a row, stop signing in by itself until a POST /api/auth succeeds (protects the account from lock-out).',
    schema: positiveInt,
  },
  refreshCooldownMs: { env: 'EVERCYCLE_REFRESH_COOLDOWN_MS', default: '10000', description: 'After a failed token refresh, no new attempt for this many ms.', schema: nonNegativeInt },
  refreshAheadS: { env: 'EVERCYCLE_REFRESH_AHEAD_S', default: '120', description: 'Refresh in the background this many seconds before the token stops counting as valid (0: only on demand).', schema: nonNegativeInt },
  secretKey: {
    env: 'EVERCYCLE_SECRET_KEY',
    default: '',
    description: 'Encrypt the token file with AES-256-GCM: 32 bytes as 64 hex characters or base64 (`openssl rand -hex 32`). Never logged.',
    schema: z.string().transform((v, ctx) => {
      const key = parseKey(v.trim());
      if (!key) ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)' });
      return key ?? Buffer.alloc(0);
    }).optional(),
  },
  clientTimeoutMs: {
    env: 'CLIENT_TIMEOUT_MS',
    default: '30000',
    description: 'Longest time a client may take to send its whole request (headers and body), in ms; slower ones get 408.',
    schema: positiveInt,
  },
  bodyLimitBytes: { env: 'BODY_LIMIT_BYTES', default: '1048576', description: 'Largest accepted request body in bytes; larger bodies answer 413.', schema: positiveInt },
  shutdownGraceMs: {
    env: 'SHUTDOWN_GRACE_MS',
    default: '10000',
    description: 'On SIGTERM, how long requests in flight may take to finish (ms) before remaining connections are closed.',
    schema: nonNegativeInt,
  },
  keysFile: {
    env: 'API_KEYS_FILE',
    default: '',
    description: 'Client API keys (hashes, names, roles), made with `evercycle-gateway keys create`. Unset: no client authentication, loopback clients only.',
    schema: z.string().min(1).optional(),
  },
  insecureNoAuth: {
    env: 'INSECURE_ALLOW_UNAUTHENTICATED',
    default: 'false',
    description: 'Set to true to serve a non-loopback HOST without API keys: anyone who reaches the port acts as the stored Evercycle identity.',
    schema: bool,
  },
  rateLimitMax: { env: 'RATE_LIMIT_MAX', default: '600', description: 'Requests per client (API key, or address without keys) per window; more answer 429. 0 disables.', schema: nonNegativeInt },
  rateLimitWindowMs: { env: 'RATE_LIMIT_WINDOW_MS', default: '60000', description: 'Rate-limit window, in ms.', schema: positiveInt },
  trustProxy: {
    env: 'TRUST_PROXY',
    default: 'false',
    description: 'Whom to believe in X-Forwarded-For: false, true (any), a hop count, or a comma list of proxy addresses/CIDRs (e.g. 127.0.0.1,10.0.0.0/8).',
    schema: trustProxy,
  },
  corsOrigins: { env: 'CORS_ORIGINS', default: '', description: 'Comma list of browser origins allowed to call the gateway (CORS). Unset: CORS off.', schema: corsOrigins.optional() },
  maxJsonDepth: { env: 'MAX_JSON_DEPTH', default: '32', description: 'Deepest nesting of arrays/objects accepted in a JSON body; deeper answers 400.', schema: positiveInt },
  maxQueryParams: { env: 'MAX_QUERY_PARAMS', default: '100', description: 'Most query parameters accepted in one request; more answer 400.', schema: positiveInt },
  maxUrlLength: { env: 'MAX_URL_LENGTH', default: '8192', description: 'Longest request target (path and query) in bytes; longer answers 414.', schema: positiveInt },
  maxHeaderBytes: { env: 'MAX_HEADER_BYTES', default: '16384', description: 'Largest total size of request headers in bytes; larger answers 431.', schema: positiveInt },
  definitionsWatch: {
    env: 'DEFINITIONS_WATCH',
    default: 'true',
    description: 'Watch EVERCYCLE_APIS_DIR and apply valid changes without a restart (SIGHUP always reloads). An invalid change is logged and the previous set stays live.',
    schema: bool,
  },
  metricsPublic: {
    env: 'METRICS_PUBLIC',
    default: 'false',
    description: 'Serve GET /metrics to anyone who reaches the port. false: it needs an admin key (or, without API_KEYS_FILE, a loopback client).',
    schema: bool,
  },
  docsPublic: {
    env: 'DOCS_PUBLIC',
    default: 'false',
    description: 'Serve the status page (/), /docs and /openapi.json to anyone who reaches the port. false: they need a valid key (or, without API_KEYS_FILE, a loopback client).',
    schema: bool,
  },
  logLevel: { env: 'LOG_LEVEL', default: 'info', description: `Log level: ${LOG_LEVELS.join(', ')}.`, schema: z.enum(LOG_LEVELS) },
  simulatorPort: { env: 'SIMULATOR_PORT', default: '4010', description: 'Port of `npm run simulator`.', schema: port },
  simulatorTokenTtlS: { env: 'SIMULATOR_TOKEN_TTL_S', default: '3600', description: 'Lifetime the simulator gives its tokens (ExpiresIn), in seconds.', schema: positiveInt },
} satisfies Record<string, SettingDoc & { schema: z.ZodType }>;

type SettingsSpec = typeof SETTINGS;
type ParsedSettings = { [K in keyof SettingsSpec]: z.output<SettingsSpec[K]['schema']> };
/** Parsed settings; loadSettings always fills apisDir (the shipped folder by default). */
export type Settings = Omit<ParsedSettings, 'apisDir'> & { apisDir: string };

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/**
 * Parse settings from an environment. Empty strings count as unset, so `FOO=` in a
 * service file falls back to the default instead of failing validation.
 * Relative folders are resolved against `cwd` once, here.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Settings {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(SETTINGS) as [string, SettingDoc & { schema: z.ZodType }][]) {
    const raw = env[spec.env];
    const value = raw === undefined || raw === '' ? (spec.default === '' ? undefined : spec.default) : raw;
    const parsed = spec.schema.safeParse(value);
    if (parsed.success) out[key] = parsed.data;
    else problems.push(`${spec.env}=${JSON.stringify(shown(spec.env, raw))}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (Number(out.workers) > 1 && !out.redisUrl) {
    problems.push('WORKERS above 1 needs EVERCYCLE_REDIS_URL: the workers share one Evercycle session through Redis');
  }
  if (Boolean(env.EVERCYCLE_USERNAME) !== Boolean(env.EVERCYCLE_PASSWORD)) {
    problems.push('EVERCYCLE_USERNAME and EVERCYCLE_PASSWORD must be set together');
  }
  if (problems.length > 0) throw new SettingsError(problems);
  const settings = out as Settings;
  settings.apisDir = settings.apisDir ? path.resolve(cwd, settings.apisDir) : SHIPPED_APIS_DIR;
  settings.dataDir = path.resolve(cwd, settings.dataDir);
  if (settings.baseUrl) settings.baseUrl = settings.baseUrl.replace(/\/+$/, '');
  return settings;
}

function isSecret(envName: string): boolean {
  return /PASSWORD|TOKEN(?!_)|SECRET|KEY/.test(envName);
}

/** A refused value as the error message may show it: secrets masked, and so is the user-info
 * of a URL (`https://svc:pw@host` is refused for its credentials, which must not be echoed). */
function shown(envName: string, raw: string | undefined): string | undefined {
  if (isSecret(envName)) return '***';
  // Malformed, a Redis URL's password can sit anywhere (an unescaped / ? # @, ?password=).
  if (envName === 'EVERCYCLE_REDIS_URL') return raw === undefined ? raw : '(not shown: it may hold a password)';
  return raw?.replace(/^([a-z][a-z0-9+.-]*:\/{0,2})[^/?#]*@/i, '$1***@');
}

function parseKey(value: string): Buffer | undefined {
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(value)) {
    const key = Buffer.from(value, 'base64');
    if (key.length === 32) return key;
  }
  return undefined;
}

/** The settings table as markdown, for the README and `--help`. */
export function settingsTable(): string {
  const rows = Object.values(SETTINGS).map((s) => `| \`${s.env}\` | ${s.default === '' ? '(unset)' : `\`${s.default}\``} | ${s.description} |`);
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}
