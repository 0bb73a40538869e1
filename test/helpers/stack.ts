// Test helpers: a real simulator and a real gateway on ephemeral loopback ports.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadSettings, type Settings } from '../../src/config.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** Captures every log line a gateway writes, for assertions (and secret greps). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/**
 * Settings that take the resilience policies out of the way, for tests of what ONE
 * upstream answer maps to: no retries, a breaker that never opens, no refresh cooldown or
 * sign-in back-off, no background refresh. The policies have tests of their own.
 */
export const ONE_TRY: Record<string, string> = {
  EVERCYCLE_RETRY_ATTEMPTS: '1',
  EVERCYCLE_BREAKER_FAILURES: '1000000',
  EVERCYCLE_REFRESH_COOLDOWN_MS: '0',
  EVERCYCLE_SIGNIN_BACKOFF_MS: '1',
  EVERCYCLE_REFRESH_AHEAD_S: '0',
};

export async function tempDir(prefix = 'evgw-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface StackOptions {
  simulator?: SimulatorOptions;
  /** Extra environment for the gateway's settings. */
  env?: Record<string, string>;
  now?: GatewayOptions['now'];
  /** Reuse a data folder (restart tests). */
  dataDir?: string;
}

/** A gateway in front of a fresh simulator. */
export interface Stack extends StartedGateway {
  sim: Simulator;
  simUrl: string;
}

export interface StartedGateway {
  gateway: Gateway;
  url: string;
  settings: Settings;
  dataDir: string;
  logs: LogCapture;
  /** Close this gateway and start a new one with the same settings and data folder. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A gateway in front of any upstream (the simulator or a recording upstream). */
export async function startGateway(
  baseUrl: string,
  options: Omit<StackOptions, 'simulator'> = {},
): Promise<StartedGateway> {
  const dataDir = options.dataDir ?? (await tempDir());
  const settings = loadSettings({ EVERCYCLE_BASE_URL: baseUrl, EVERCYCLE_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...options.env }, REPO_ROOT);
  const logs = new LogCapture();
  const start = async () => {
    const gateway = await createGateway(settings, { logger: createLogger({ level: settings.logLevel, destination: logs }), now: options.now });
    return { gateway, url: await gateway.listen(0) };
  };
  let current = await start();
  const started: StartedGateway = {
    gateway: current.gateway,
    url: current.url,
    settings,
    dataDir,
    logs,
    async restart() {
      await current.gateway.close();
      current = await start();
      started.gateway = current.gateway;
      started.url = current.url;
    },
    async close() {
      await current.gateway.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return started;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sim = createSimulator(options.simulator);
  const simUrl = await sim.listen();
  const gw = await startGateway(simUrl, options);
  const closeGateway = gw.close.bind(gw);
  return Object.assign(gw, {
    sim,
    simUrl,
    async close() {
      await closeGateway();
      await sim.close();
    },
  });
}

/** Sign the stack's gateway in with the simulator's demo account. */
export async function signIn(stack: Stack): Promise<void> {
  const res = await fetch(`${stack.url}/api/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(stack.sim.demo),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
}
