// WORKERS=n (n > 1): this process forks n workers (node:cluster) that share the listening
// port, each a complete gateway sharing tokens, the refresh lock and rate limits through
// EVERCYCLE_REDIS_URL. The primary serves nothing itself; it keeps n workers running,
// relays signals to them, and speaks for the whole in its log lines.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import { isListeningMessage } from './messages.js';

/** Restart delays: a worker dying right after its start waits longer each time. */
export const RESTART_MIN_MS = 250;
export const RESTART_MAX_MS = 10_000;
/** A worker that ran this long before dying resets the back-off: its death is not a crash loop. */
export const RESTART_STABLE_MS = 30_000;

/**
 * Run the primary until SIGTERM/SIGINT has stopped every worker; exits the process (0 when
 * every worker stopped cleanly, 1 otherwise or when a worker could not start).
 */
export async function runPrimary(settings: Settings, logger: Logger): Promise<void> {
  // The workers accept connections themselves from the shared socket (the kernel spreads
  // them), instead of Node's default round robin through this process: that one hands a
  // connection to a worker that was just killed, and the client then waits forever. Here a
  // dead worker takes only the connections it had accepted.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const workerEnv: Record<string, string> = {};
  let closeSimulator = async (): Promise<void> => {};
  if (!settings.baseUrl) {
    // One built-in simulator for all the workers: a session signed in through one worker
    // must be valid upstream whichever worker uses it next.
    const { createSimulator } = await import('../simulator/index.js');
    const simulator = createSimulator({ tokenTtlS: settings.simulatorTokenTtlS, logger: false });
    const simulatorUrl = await simulator.listen({ port: 0, host: '127.0.0.1' });
    closeSimulator = () => simulator.close();
    workerEnv.EVERCYCLE_BASE_URL = simulatorUrl;
    logger.warn(
      { simulator: simulatorUrl, demo_user: simulator.demo.username },
      'EVERCYCLE_BASE_URL is not set: using the BUILT-IN EVERCYCLE SIMULATOR, not the real Evercycle API',
    );
  }

  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let exitCode = 0;
  let quickDeaths = 0;
  let url: string | undefined;
  const startedAt = new Map<number, number>();
  const listening = new Set<number>();
  const pendingRestarts = new Set<NodeJS.Timeout>();

  const fork = (): void => {
    const worker = cluster.fork(workerEnv);
    startedAt.set(worker.id, Date.now());
    worker.on('message', (message: unknown) => {
      if (!isListeningMessage(message)) return;
      listening.add(worker.id);
      // PORT=0: the workers share the port the first one got, as long as one of them holds
      // it; had every worker died, the new ones get another (and it is said).
      if (url !== undefined && message.url !== url) logger.warn({ url: message.url, previous: url }, 'the workers now listen on another port');
      url = message.url;
      if (phase === 'starting' && listening.size === settings.workers) {
        phase = 'running';
        logger.info({ url: message.url, workers: settings.workers, upstream: settings.baseUrl ?? 'simulator' }, 'Evercycle gateway listening');
      }
    });
  };

  const alive = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());

  const stop = (reason: string): void => {
    phase = 'stopping';
    for (const timer of pendingRestarts) clearTimeout(timer);
    pendingRestarts.clear();
    logger.info({ reason }, 'shutting down: workers finish requests in flight');
    for (const worker of alive()) worker.process.kill('SIGTERM');
    finishWhenAllGone();
  };

  const finishWhenAllGone = (): void => {
    if (alive().length > 0) return;
    void closeSimulator().finally(() => {
      logger.info({ exit_code: exitCode }, 'stopped');
      process.exit(exitCode);
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? Date.now());
    const wasListening = listening.delete(worker.id);
    startedAt.delete(worker.id);
    const fields = { worker_pid: worker.process.pid, code, signal };
    if (phase === 'stopping') {
      // A worker still starting has no SIGTERM handler yet: it dies of the signal, serving nothing.
      if (code !== 0 && wasListening) {
        exitCode = 1;
        logger.error(fields, 'gateway worker did not stop cleanly');
      }
      finishWhenAllGone();
      return;
    }
    if (phase === 'starting' && !wasListening) {
      // Bad definitions, port in use...: every worker would fail the same way. The worker
      // has written the reason to stderr.
      exitCode = 1;
      logger.error(fields, 'a gateway worker could not start; stopping the others');
      stop('a worker could not start');
      return;
    }
    if (lived >= RESTART_STABLE_MS) quickDeaths = 0;
    const delay = Math.min(RESTART_MIN_MS * 2 ** quickDeaths, RESTART_MAX_MS);
    quickDeaths++;
    logger.error({ ...fields, restart_in_ms: delay }, 'gateway worker exited unexpectedly; starting a new one');
    const timer = setTimeout(() => {
      pendingRestarts.delete(timer);
      if (phase !== 'stopping') fork();
    }, delay);
    pendingRestarts.add(timer);
  });

  let signalled = false;
  const onStopSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      // A second Ctrl-C forces it.
      for (const worker of alive()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    signalled = true;
    stop(signal);
  };
  process.on('SIGTERM', onStopSignal);
  process.on('SIGINT', onStopSignal);
  // SIGHUP: every worker loads the definitions again (each logs its outcome).
  process.on('SIGHUP', () => {
    const workers = alive();
    logger.info({ workers: workers.length }, 'SIGHUP: reloading the definitions in every worker');
    for (const worker of workers) worker.process.kill('SIGHUP');
  });

  for (let i = 0; i < settings.workers; i++) fork();
}
