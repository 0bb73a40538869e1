// The real gateway as a child process: `node dist/cli/main.js serve`, configured as in
// production except for what a benchmark must change (upstream, service account, no rate
// limit, no file watching). Its stdout (the info-level JSON log) goes to a file.
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, open, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Children, Managed } from './children.js';
import { parseHeap, type HeapReading } from './proc.js';

export interface GatewayOptions {
  root: string;
  upstream: string;
  scratch: string;
  label: string;
  workers?: number;
  redisUrl?: string | undefined;
  /** Further settings, e.g. EVERCYCLE_REFRESH_AHEAD_S. */
  env?: Record<string, string>;
  /** Start node with the inspector on this loopback port (the soak forces full GCs through it). */
  inspectorPort?: number | undefined;
}

export interface RunningGateway {
  url: string;
  pid: number;
  managed: Managed;
  logFile: string;
  env: Record<string, string>;
  inspectorPort?: number | undefined;
}

export const SERVICE_ACCOUNT = { username: 'bench@example.com', password: 'bench-password' };
const START_TIMEOUT_MS = 20_000;

export function gatewayEnv(options: GatewayOptions, dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    EVERCYCLE_BASE_URL: options.upstream,
    EVERCYCLE_USERNAME: SERVICE_ACCOUNT.username,
    EVERCYCLE_PASSWORD: SERVICE_ACCOUNT.password,
    EVERCYCLE_DATA_DIR: dataDir,
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'info',
    DEFINITIONS_WATCH: 'false',
    WORKERS: String(options.workers ?? 1),
    ...(options.redisUrl && { EVERCYCLE_REDIS_URL: options.redisUrl, EVERCYCLE_REDIS_PREFIX: `bench-${process.pid}-${options.label}:` }),
    ...options.env,
  };
}

export async function startGateway(children: Children, options: GatewayOptions): Promise<RunningGateway> {
  const dataDir = await mkdtemp(path.join(options.scratch, `data-${options.label}-`));
  const logFile = path.join(options.scratch, `gateway-${options.label}.log`);
  const env = gatewayEnv(options, dataDir);
  // Only what a service would have: PATH and friends, not this shell's gateway settings.
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG };
  const fd = openSync(logFile, 'a');
  let managed: Managed;
  try {
    const nodeArgs = options.inspectorPort ? [`--inspect=127.0.0.1:${options.inspectorPort}`] : [];
    managed = children.spawn(`gateway ${options.label}`, process.execPath, [...nodeArgs, path.join(options.root, 'dist', 'cli', 'main.js'), 'serve'], {
      cwd: options.root,
      env: { ...base, ...env },
      stdoutFd: fd,
    });
  } finally {
    closeSync(fd);
  }
  const url = await waitListening(managed, logFile);
  await waitAuthenticated(url, managed, logFile);
  return { url, pid: managed.pid, managed, logFile, env, inspectorPort: options.inspectorPort };
}

async function waitListening(managed: Managed, logFile: string): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void managed.exited.then((code) => (exitCode = code));
  for (;;) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.includes('Evercycle gateway listening')) continue;
      const url = (JSON.parse(line) as { url?: string }).url;
      if (url) return url;
    }
    if (exitCode !== undefined) throw await startError(managed, logFile, `exited with code ${exitCode} while starting`);
    if (Date.now() > deadline) throw await startError(managed, logFile, `did not log "Evercycle gateway listening" within ${START_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
}

/** Until /health says signed in (the service account signs in right after listening). */
async function waitAuthenticated(url: string, managed: Managed, logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const res = await getText(`${url}/health`).catch((err: Error) => ({ status: 0, body: err.message }));
    last = res.body;
    if (res.status === 200 && (JSON.parse(res.body) as { authenticated?: boolean }).authenticated) return;
    await sleep(50);
  }
  throw await startError(managed, logFile, `never signed in upstream (last /health: ${last})`);
}

/**
 * Throws when the gateway is gone: a measurement against a dead gateway means nothing. On
 * a shared machine, something else may stop it (a broad `pkill` in another session).
 */
export async function ensureRunning(gw: RunningGateway): Promise<void> {
  const ended = gw.managed.ended();
  if (ended === undefined) return;
  throw await startError(gw.managed, gw.logFile, `stopped during the measurement (${ended}; "shutting down" in its log means a SIGTERM/SIGINT from outside the benchmark)`);
}

async function startError(managed: Managed, logFile: string, what: string): Promise<Error> {
  const log = await readTail(logFile, 64 * 1024);
  const stderr = managed.stderrTail().trimEnd();
  const logTail = log.trimEnd().split('\n').slice(-15).join('\n');
  return new Error(
    `the gateway (${managed.name}) ${what}\n--- its stderr (last lines) ---\n${stderr || '(empty)'}\n--- its log (${logFile}, last lines) ---\n${logTail || '(empty)'}`,
  );
}

/** The last `bytes` of a file (a gateway's log grows by hundreds of MB under load). */
async function readTail(file: string, bytes: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, bytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/** The heap from the gateway's own /metrics (prom-client's process metrics; loopback needs no key). */
export async function heapOf(url: string): Promise<HeapReading> {
  const res = await getText(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${res.body.slice(0, 200)}`);
  const heap = parseHeap(res.body);
  if (!heap) throw new Error('the gateway /metrics has no nodejs_heap_size_used_bytes');
  return heap;
}

export function getText(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
