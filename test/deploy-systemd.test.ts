// deploy/evercycle-gateway.service: systemd accepts it (systemd-analyze verify, which works
// without systemd as PID 1), it carries the sandbox it promises, and its ExecStart, run with
// the unit's environment as systemd would build it, starts a gateway that keeps its token
// file private in the state directory. What this cannot show here: the sandbox itself in
// force (that needs systemd as PID 1 starting the unit).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulator } from '../src/simulator/index.js';
import { childEnv, waitForListening, type CliProcess } from './helpers/cli.js';
import { sleep } from './helpers/load.js';
import { freePort } from './helpers/ports.js';
import { rawRequest } from './helpers/raw-http.js';
import { REPO_ROOT, tempDir } from './helpers/stack.js';

const UNIT_FILE = path.join(REPO_ROOT, 'deploy', 'evercycle-gateway.service');
const APP_DIR = '/opt/evercycle-gateway';

/** A unit file as { section: { key: [values, in order] } } (comments and blank lines dropped). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !section) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq).trim();
    (out[section]![key] ??= []).push(line.slice(eq + 1).trim());
  }
  return out;
}

const unitText = await readFile(UNIT_FILE, 'utf8');
const unit = parseUnit(unitText);
const service = unit.Service ?? {};
const one = (key: string): string | undefined => service[key]?.at(-1);

const ANALYZE = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
if (!ANALYZE) console.warn('deploy-systemd: systemd-analyze not found: the `verify` test is skipped');

describe('deploy/evercycle-gateway.service', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it.skipIf(!ANALYZE)('passes systemd-analyze verify without a warning', async () => {
    // verify checks that ExecStart's program exists: point it at this machine's node. The
    // script path and the EnvironmentFile are not checked (they exist only once installed).
    const dir = await tempDir('evgw-unit-');
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const copy = path.join(dir, 'evercycle-gateway.service');
    await writeFile(copy, unitText.replaceAll('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
    const run = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 30_000 });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    // verify exits 0 on unknown keys and bad values (it only warns): any line about our file fails.
    expect(output.split('\n').filter((l) => l.includes('evercycle-gateway.service'))).toEqual([]);
  });

  it('declares the hardened sandbox, the state directory and the signals', () => {
    const expected: Record<string, string> = {
      Type: 'simple',
      User: 'evercycle-gateway',
      StateDirectory: 'evercycle-gateway',
      EnvironmentFile: '/etc/evercycle-gateway/env',
      ExecStart: `/usr/bin/node ${APP_DIR}/dist/cli/main.js serve`,
      ExecReload: '/bin/kill -HUP $MAINPID',
      KillSignal: 'SIGTERM',
      Restart: 'on-failure',
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      CapabilityBoundingSet: '',
      LockPersonality: 'yes',
      MemoryDenyWriteExecute: 'no', // V8's JIT: see the comment in the unit
      UMask: '0077',
      ReadOnlyPaths: APP_DIR,
    };
    for (const [key, value] of Object.entries(expected)) expect(one(key), key).toBe(value);
    expect(service.SystemCallFilter).toContain('@system-service');
    expect(service.Environment).toContain('EVERCYCLE_DATA_DIR=%S/evercycle-gateway');
    // Longer than the gateway's shutdown grace (SHUTDOWN_GRACE_MS, default 10 s), so a
    // graceful stop is never cut short by SIGKILL.
    expect(Number(/^(\d+)s$/.exec(one('TimeoutStopSec') ?? '')?.[1])).toBeGreaterThan(10);
    expect(unit.Install?.WantedBy).toEqual(['multi-user.target']);
    expect(unitText).toMatch(/#.*JIT/);
  });

  it("runs its ExecStart with the unit's environment: the gateway starts and keeps its token file 0600 in the state directory", async () => {
    // systemd's part, approximated: the state directory made 0700, Environment= with %S
    // expanded, the EnvironmentFile's assignments, UMask=0077, WorkingDirectory; the app
    // folder is this clone instead of /opt/evercycle-gateway, node this process's node.
    const root = await tempDir('evgw-unit-run-');
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const stateRoot = path.join(root, 'var-lib');
    const stateDir = path.join(stateRoot, one('StateDirectory')!);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await chmod(stateDir, 0o700);

    const sim = createSimulator();
    const simUrl = await sim.listen();
    cleanup.push(() => sim.close());
    const port = await freePort();
    const envFile = [
      '# as /etc/evercycle-gateway/env would be',
      `EVERCYCLE_BASE_URL=${simUrl}`,
      `EVERCYCLE_USERNAME=${sim.demo.username}`,
      `EVERCYCLE_PASSWORD=${sim.demo.password}`,
      `PORT=${port}`,
      'TRUST_PROXY=127.0.0.1',
      'DEFINITIONS_WATCH=false',
    ].join('\n');

    const env: Record<string, string> = {};
    for (const assignment of service.Environment ?? []) {
      const eq = assignment.indexOf('=');
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1).replaceAll('%S', stateRoot);
    }
    for (const line of envFile.split('\n')) {
      if (line.startsWith('#') || !line.includes('=')) continue;
      env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
    expect(env.EVERCYCLE_DATA_DIR).toBe(stateDir);

    const [program, ...args] = one('ExecStart')!.split(/\s+/);
    expect(program).toBe('/usr/bin/node');
    const argv = args.map((a) => a.replace(APP_DIR, REPO_ROOT));
    const cwd = one('WorkingDirectory')!.replace(APP_DIR, REPO_ROOT);
    const umask = one('UMask')!;
    // `sh -c 'umask ...; exec node ...'`: node then is the process (as systemd's MAINPID).
    const child = spawn('/bin/sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', process.execPath, ...argv], {
      cwd,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const proc: CliProcess = {
      child,
      stdout: () => out,
      stderr: () => err,
      exited,
      logs: () =>
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      stop: async () => (child.kill('SIGTERM'), exited),
    };
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    const url = await waitForListening(proc);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    // The service account signed in (/ready is what Caddy's health check asks).
    let ready = await rawRequest(url, 'GET', '/ready');
    for (let i = 0; ready.status !== 200 && i < 100; i++) {
      await sleep(50);
      ready = await rawRequest(url, 'GET', '/ready');
    }
    expect(ready.status, ready.text).toBe(200);
    const call = await rawRequest(url, 'GET', '/api/get-all?per_page=1');
    expect(call.status, call.text).toBe(200);

    // The tokens are in the state directory, 0600, the directory still 0700.
    const tokenFile = path.join(stateDir, 'tokens.json');
    for (let i = 0; !existsSync(tokenFile) && i < 100; i++) await sleep(20);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    // The process runs under the unit's umask (Linux shows it in /proc).
    if (process.platform === 'linux') {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      expect(/^Umask:\s*(\d+)$/m.exec(status)?.[1]).toBe('0077');
    }
    // NODE_ENV=production from Environment=: JSON log lines, not pino-pretty.
    expect(proc.logs().length).toBeGreaterThan(0);

    // KillSignal=SIGTERM: a graceful exit 0, well within TimeoutStopSec.
    const started = Date.now();
    const { code } = await proc.stop();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(Number(/^(\d+)s$/.exec(one('TimeoutStopSec')!)![1]) * 1000);
  }, 30_000);
});
