#!/usr/bin/env node
// The evercycle-gateway command. `serve` is what `npm start` runs.
import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { loadSettings, settingsTable, SettingsError, type Settings } from '../config.js';
import { DefinitionError } from '../definitions/index.js';
import { createLogger } from '../logger.js';
import { announceListening } from '../cluster/messages.js';
import { VERSION } from '../version.js';

const program = new Command('evercycle-gateway')
  .description('Gateway for the Evercycle asset-management API, with a built-in Evercycle simulator')
  .version(VERSION);

program
  .command('serve')
  .description('run the gateway (settings come from the environment)')
  .addHelpText('after', `\nSettings (environment variables):\n${settingsTable()}`)
  .action(async () => {
    const settings = settingsOrExit();
    const logger = createLogger({ level: settings.logLevel, pretty: wantPretty() });
    // A stray rejection must not take every in-flight request down with the process.
    process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
    // WORKERS > 1: this process becomes the primary and forks the workers, which run the
    // rest of this action (src/cluster/primary.ts).
    if (settings.workers > 1 && cluster.isPrimary) {
      const { runPrimary } = await import('../cluster/primary.js');
      return runPrimary(settings, logger);
    }
    const worker = cluster.isWorker;
    // Loaded here, not at the top: the client commands (call, export, ...) never need them.
    const { createGateway } = await import('../gateway.js');
    let gateway: Awaited<ReturnType<typeof createGateway>> | undefined;
    let url;
    // SIGHUP: load the API definitions again (the outcome is logged by the reload itself).
    // Installed first: Node's default for SIGHUP is to exit, and the start takes a moment.
    process.on('SIGHUP', () => {
      if (gateway) void gateway.reloadDefinitions('SIGHUP');
      else logger.info('SIGHUP during start-up: the definitions being loaded now are the current ones');
    });
    try {
      gateway = await createGateway(settings, { logger });
      url = await gateway.listen();
    } catch (err) {
      await gateway?.close().catch(() => {});
      fail(`cannot start: ${startFailure(err, settings)}`);
    }
    if (worker) {
      // The primary logs the one "Evercycle gateway listening" line once every worker is up.
      logger.info({ url }, 'gateway worker listening');
      announceListening(url);
    } else {
      logger.info({ url, upstream: gateway.simulator ? 'simulator' : settings.baseUrl }, 'Evercycle gateway listening');
    }
    const started = gateway;
    onShutdown(async () => {
      logger.info('shutting down: finishing requests in flight');
      await started.close();
      logger.info('stopped');
    }, worker);
  });

program
  .command('simulator')
  .description('run the Evercycle API simulator on its own (an offline sandbox)')
  .option('-p, --port <port>', 'port to listen on (default: SIMULATOR_PORT or 4010)')
  .option('--host <host>', 'interface to bind', '127.0.0.1')
  .option('--control', 'serve the fault-injection control surface under /_simulator/ (no auth: never expose it)', false)
  .option('--fault-seed <n>', 'seed of the PRNG deciding which requests get faults (reproducible runs; default random)')
  .action(async (opts: { port?: string; host: string; control: boolean; faultSeed?: string }) => {
    const settings = settingsOrExit();
    const port = opts.port === undefined ? settings.simulatorPort : Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${opts.port}`);
    const faultSeed = opts.faultSeed === undefined ? undefined : Number(opts.faultSeed);
    if (faultSeed !== undefined && !Number.isSafeInteger(faultSeed)) fail(`invalid --fault-seed ${opts.faultSeed}`);
    const logger = createLogger({ level: settings.logLevel, pretty: wantPretty() });
    const { createSimulator } = await import('../simulator/index.js');
    const simulator = createSimulator({ tokenTtlS: settings.simulatorTokenTtlS, logger, control: opts.control, faultSeed });
    let url;
    try {
      url = await simulator.listen({ port, host: opts.host });
    } catch (err) {
      fail(`cannot start: ${(err as Error).message}`);
    }
    logger.info({ url, demo_user: simulator.demo.username, control: opts.control }, 'Evercycle simulator listening (demo password: see README)');
    if (opts.control) logger.warn({ control: `${url}/_simulator/` }, 'fault-injection control surface enabled: no authentication, never expose it');
    onShutdown(() => simulator.close());
  });

// The client commands, loaded only when the command line may run one: a server process
// (`serve`, `simulator`) never needs their modules (prompts, CSV, progress bars: ~45 MB
// of memory per process).
const SERVER_COMMANDS = new Set(['serve', 'simulator']);
if (!SERVER_COMMANDS.has(process.argv[2] ?? '')) {
  const [{ keysCommand }, session, list, call, exp, imp, definitions, interactive] = await Promise.all([
    import('./keys.js'),
    import('./commands/session.js'),
    import('./commands/list.js'),
    import('./commands/call.js'),
    import('./commands/export.js'),
    import('./commands/import.js'),
    import('./commands/definitions.js'),
    import('./commands/interactive.js'),
  ]);
  program.addCommand(keysCommand());
  for (const command of session.sessionCommands()) program.addCommand(command);
  program.addCommand(list.listCommand());
  program.addCommand(call.callCommand());
  program.addCommand(exp.exportCommand());
  program.addCommand(imp.importCommand());
  program.addCommand(definitions.definitionsCommand());
  program.addCommand(interactive.interactiveCommand());
}

function settingsOrExit(): Settings {
  try {
    return loadSettings();
  } catch (err) {
    if (err instanceof SettingsError) fail(`cannot start: ${err.message}`);
    throw err;
  }
}

/** A start-up failure as one line an operator can act on (no stack trace). */
function startFailure(err: unknown, settings: Settings): string {
  if (err instanceof DefinitionError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `port ${settings.port} on ${settings.host} is already in use (set PORT)`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `HOST=${settings.host} is not an address of this machine (${code})`;
  if (code === 'EACCES') return `not allowed to listen on ${settings.host}:${settings.port} (EACCES)`;
  return (err as Error).message;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Pretty logs for a developer at a terminal, when the dev dependency is installed. */
function wantPretty(): boolean {
  if (!process.stdout.isTTY || process.env.NODE_ENV === 'production') return false;
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** A cluster worker ignores repeated signals: Ctrl-C reaches it from the terminal and from the primary; the primary forces. */
function onShutdown(close: () => Promise<void>, clusterWorker = false): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing && clusterWorker) return;
    if (closing) process.exit(1); // a second Ctrl-C forces it
    closing = true;
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error during shutdown after ${signal}: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

await program.parseAsync(process.argv);
