// `npm run bench`: the orchestrator. It starts every server in a child process of its
// own (fast upstream, passthrough proxy, the real gateway, redis-server), runs each load
// in another, prints the tables, and writes the results as JSON to bench/results/.
// It only orchestrates: no load is generated and no request served in this process.
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, UsageError, type Options } from './args.js';
import { Children } from './children.js';
import { progress, type Context, type Upstream } from './context.js';
import { buildFixtures } from './fixtures.js';
import { waitReady } from './ipc.js';
import { detectGenerator } from './load.js';
import { clockTicks, machineInfo } from './machine.js';
import { addedLatency, loadScenarios, refreshUnderLoad, sanityCheck, soak, upstreamStats, withGateway, workersScaling } from './phases.js';
import { renderReport } from './report.js';
import type { RunResults } from './results.js';
import type { LoadScenario } from './scenarios.js';
import { checkTargets } from './targets.js';

/** bench-dist/main.js -> the repository root. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const children = new Children();
let scratch: string | undefined;
let stopping = false;

async function main(): Promise<void> {
  let options: Options | 'help';
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` (npm run bench does it first)');

  const started = new Date();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'evercycle-bench-'));
  const generator = await detectGenerator();
  const machine = machineInfo(ROOT, generator.version);
  const only = new Set(options.only);
  const ctxBase = { options, children, generator, root: ROOT, scratch, ticksPerSecond: clockTicks(), startedAt: Date.now(), createBody: buildFixtures().createBody.toString('utf8') };
  progress(ctxBase, `load generator: ${generator.version}${generator.name === 'wrk' ? ` (${generator.path})` : ' (wrk not on PATH)'}; ${estimate(options)}`);

  const upstream = await startUpstream();
  const ctx: Context = { ...ctxBase, upstream };
  progress(ctx, `fast upstream at ${upstream.url} (pid ${upstream.managed.pid})`);

  const results: RunResults = {
    startedAt: started.toISOString(),
    finishedAt: '',
    machine,
    options,
    notes: [
      'each server runs in its own process, the load generator in another; all on 127.0.0.1',
      'the gateway runs as `node dist/cli/main.js serve` with NODE_ENV=production, LOG_LEVEL=info (stdout to a log file in a temporary folder, deleted after the run), RATE_LIMIT_MAX=0, DEFINITIONS_WATCH=false, a service account',
      'fixed-rate runs use the paced open-loop generator (undici, wrk2-style) whatever the saturation generator',
    ],
    measurements: [],
    refresh: [],
    memory: [],
    targets: [],
  };

  const loadSelected = (['get-1kb', 'get-300kb', 'post-2kb'] as LoadScenario[]).filter((s) => only.has(s));
  if (loadSelected.length > 0 || only.has('latency')) {
    const passthrough = await startPassthrough(upstream.url);
    progress(ctx, `passthrough at ${passthrough.url} (pid ${passthrough.pid})`);
    await withGateway(ctx, results.memory, { label: 'main' }, async (gateway) => {
      const servers = { passthrough, gateway };
      await sanityCheck(ctx, servers);
      results.measurements.push(...(await loadScenarios(ctx, servers, loadSelected)));
      if (only.has('latency')) results.latency = await addedLatency(ctx, servers, results.measurements);
    });
    const stats = await upstreamStats(ctx);
    if (stats.createBodyMismatches > 0) results.notes.push(`the upstream received ${stats.createBodyMismatches} create bodies that differ from the one sent`);
  }
  if (only.has('refresh')) {
    results.refresh.push(await refreshUnderLoad(ctx, results.memory, 1, 'background'));
    results.refresh.push(await refreshUnderLoad(ctx, results.memory, 1, 'on demand'));
  }
  if (only.has('workers')) results.workers = await workersScaling(ctx, results.memory, results.refresh);
  if (only.has('soak') && options.soakS > 0) results.soak = await soak(ctx, results.memory);

  results.targets = checkTargets(results);
  results.finishedAt = new Date().toISOString();
  const file = await writeResults(results);
  await children.stopAll();
  process.stdout.write(`\n${renderReport(results)}\n\nResults written to ${path.relative(process.cwd(), file) || file}\n`);
}

async function startUpstream(): Promise<Upstream> {
  const managed = children.fork('fast upstream', new URL('./upstream.js', import.meta.url), []);
  const ready = await waitReady(managed.child, 'the fast upstream', managed.stderrTail);
  if (!ready.staticToken) throw new Error('the fast upstream sent no token');
  return { url: `http://127.0.0.1:${ready.port}`, managed, token: ready.staticToken };
}

async function startPassthrough(upstreamUrl: string): Promise<{ url: string; pid: number }> {
  const managed = children.fork('passthrough', new URL('./passthrough.js', import.meta.url), [upstreamUrl]);
  const ready = await waitReady(managed.child, 'the passthrough proxy', managed.stderrTail);
  return { url: `http://127.0.0.1:${ready.port}`, pid: managed.pid };
}

async function writeResults(results: RunResults): Promise<string> {
  const dir = path.join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  // ISO 8601 with ':' as '-', so the name is valid everywhere.
  const file = path.join(dir, `${results.startedAt.replace(/:/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

function estimate(o: Options): string {
  const per = o.warmupS + o.durationS + 1;
  const only = new Set(o.only);
  let s = 0;
  s += ['get-1kb', 'get-300kb', 'post-2kb'].filter((x) => only.has(x as LoadScenario)).length * 3 * per;
  if (only.has('latency')) s += 2 * per;
  if (only.has('refresh')) s += 2 * (per + 2);
  if (only.has('workers')) s += 4 * (per + 2);
  if (only.has('soak') && o.soakS > 0) s += o.soakS + 2 * o.idleS + Math.max(o.warmupS, Math.min(10, Math.ceil(o.soakS / 10))) + 5;
  return `this takes about ${Math.ceil(s / 60)} min`;
}

/** Stop every child, then leave with `code`. A second signal forces it. */
async function shutdown(code: number, reason: string): Promise<never> {
  if (stopping) {
    children.killAllNow();
    process.exit(code);
  }
  stopping = true;
  if (reason) process.stderr.write(`${reason}\n`);
  const running = children.running;
  if (running.length > 0) process.stderr.write(`stopping: ${running.join(', ')}\n`);
  const force = setTimeout(() => {
    children.killAllNow();
    process.exit(code);
  }, 20_000);
  await children.stopAll().catch(() => children.killAllNow());
  clearTimeout(force);
  process.exit(code);
}

process.on('exit', () => {
  children.killAllNow();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});
process.on('SIGINT', () => void shutdown(130, '\ninterrupted'));
// Whoever started the run is gone (npm killed without passing the signal on): stop too,
// rather than loading the machine for minutes with nobody to read the results.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown(129, 'the process that started the benchmark is gone');
}, 1000).unref();
process.on('SIGTERM', () => void shutdown(143, 'terminated'));
process.on('SIGHUP', () => void shutdown(129, 'hung up'));

main().then(
  () => process.exit(0),
  (err: unknown) => void shutdown(1, `bench failed: ${err instanceof Error ? err.message : String(err)}`),
);
