// Running one load measurement in a process of its own: autocannon (in load-worker.js)
// or, when installed, wrk. Fixed-rate runs always use the paced generator of load-worker.js.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { LatencySummary } from './histogram.js';
import type { Children } from './children.js';
import { ask, waitReady } from './ipc.js';
import { parseWrkOutput, wrkArgs, wrkScript } from './wrk.js';

export interface LoadJob {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | undefined;
  connections: number;
  durationS: number;
  /** Requests per second, open loop; unset: as fast as the connections go (saturation). */
  rate?: number | undefined;
}

export interface LoadResult {
  tool: 'autocannon' | 'wrk' | 'paced';
  durationS: number;
  /** Responses received (any status). */
  requests: number;
  rps: number;
  latencyMs: LatencySummary;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
}

export interface Generator {
  name: 'autocannon' | 'wrk';
  version: string;
  /** wrk's path, when used. */
  path?: string;
}

/** wrk when it is on PATH (and runs), else autocannon. */
export async function detectGenerator(): Promise<Generator> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'wrk');
    const version = await new Promise<string | undefined>((resolve) => {
      execFile(candidate, ['-v'], { timeout: 5000 }, (_err, stdout, stderr) => {
        const text = `${stdout}${stderr}`;
        resolve(/^wrk\s/m.test(text) ? text.split('\n')[0]!.replace(/\s*Copyright.*/, '').trim() : undefined);
      });
    });
    if (version) return { name: 'wrk', version, path: candidate };
  }
  const pkg = createRequire(import.meta.url)('autocannon/package.json') as { version: string };
  return { name: 'autocannon', version: `autocannon ${pkg.version}` };
}

const WORKER = new URL('./load-worker.js', import.meta.url);

/**
 * A load generator process kept for several runs, so a warm-up warms the generator too
 * (its JIT, and the paced generator's connections) and not only the server.
 */
export interface LoadSession {
  run(job: LoadJob): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function openLoad(children: Children, generator: Generator, scratchDir: string): Promise<LoadSession> {
  const worker = children.fork('load generator', WORKER, []);
  try {
    await waitReady(worker.child, 'load generator', worker.stderrTail);
  } catch (err) {
    await children.stop(worker);
    throw err;
  }
  return {
    run: (job) => (generator.name === 'wrk' && !job.rate ? runWrk(children, generator.path!, job, scratchDir) : ask<LoadResult>(worker.child, 'run', { job })),
    close: () => children.stop(worker),
  };
}

/** One run in a generator process of its own, after `warmupS` of the same load (discarded) in it. */
export async function runLoad(children: Children, generator: Generator, job: LoadJob, scratchDir: string, warmupS = 0): Promise<LoadResult> {
  const session = await openLoad(children, generator, scratchDir);
  try {
    if (warmupS > 0) await session.run({ ...job, durationS: warmupS });
    return await session.run(job);
  } finally {
    await session.close();
  }
}

let scripts = 0;

async function runWrk(children: Children, wrk: string, job: LoadJob, scratchDir: string): Promise<LoadResult> {
  const n = ++scripts;
  let bodyFile: string | undefined;
  if (job.body !== undefined) {
    bodyFile = path.join(scratchDir, `wrk-body-${n}.json`);
    await writeFile(bodyFile, job.body);
  }
  const scriptFile = path.join(scratchDir, `wrk-${n}.lua`);
  await writeFile(scriptFile, wrkScript(job, bodyFile));
  const proc = children.spawn('wrk', wrk, wrkArgs(job, scriptFile), { stdout: true });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`wrk exited with ${code}${proc.stderrTail() ? `:\n${proc.stderrTail()}` : ''}`);
  return parseWrkOutput(proc.stdout());
}
