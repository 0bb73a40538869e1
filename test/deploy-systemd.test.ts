// deploy/evercycle-gateway.service: systemd accepts it (systemd-analyze verify, which works
// without systemd as PID 1), it carries the sandbox it promises, and its ExecStart, run with
// the unit's environment as systemd would build it, starts a gateway that keeps its token
// file private in the state directory.
//
// The sandbox in force, emulated: systemd is not PID 1 here, so test/helpers/systemd-sandbox.ts
// rebuilds the file-system and privilege part of it with unshare, mount and setpriv (when we
// are root with CAP_SYS_ADMIN; otherwise those tests are skipped with a warning): a mount
// namespace where everything is read-only (ProtectSystem=strict, ReadOnlyPaths=) but the
// state directory (StateDirectory=), a private /tmp and /var/tmp (PrivateTmp=), hidden home
// folders (ProtectHome=), an unprivileged user (User=; nobody, not the unit's own account,
// which the test does not create), no new privileges (NoNewPrivileges=), no capabilities
// (CapabilityBoundingSet=, AmbientCapabilities=) and UMask=. The gateway is shown to sign
// in, proxy and write its token file there, and to stop cleanly.
// What still needs systemd as PID 1 starting the unit, and is NOT shown: the seccomp filters
// (SystemCallFilter=, SystemCallArchitectures=, RestrictAddressFamilies=, RestrictNamespaces=,
// RestrictRealtime=, RestrictSUIDSGID=, LockPersonality=, MemoryDenyWriteExecute=),
// PrivateDevices=, ProtectKernelModules=, ProtectKernelLogs=, ProtectClock=, ProtectHostname=,
// ProtectProc=, RemoveIPC=, read-only /proc/sys and /sys where the kernel refuses the remount
// (ProtectKernelTunables=, ProtectControlGroups=), the EnvironmentFile read by systemd, and
// Restart=/TimeoutStopSec= themselves.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulator } from '../src/simulator/index.js';
import { childEnv, waitForListening, type CliProcess } from './helpers/cli.js';
import { sleep } from './helpers/load.js';
import { freePort } from './helpers/ports.js';
import { rawRequest } from './helpers/raw-http.js';
import { REPO_ROOT, tempDir } from './helpers/stack.js';
import { SANDBOX_GID, SANDBOX_UID, sandboxDirs, sandboxed, sandboxUnavailable } from './helpers/systemd-sandbox.js';

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
const NO_SANDBOX = sandboxUnavailable();
if (NO_SANDBOX) console.warn(`deploy-systemd: the sandbox emulation tests are skipped: ${NO_SANDBOX}`);

/** The environment systemd gives the service: Environment= (%S expanded), then the EnvironmentFile's assignments. */
function unitEnvironment(stateRoot: string, envFile: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of service.Environment ?? []) {
    const eq = assignment.indexOf('=');
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1).replaceAll('%S', stateRoot);
  }
  for (const line of envFile.split('\n')) {
    if (line.startsWith('#') || !line.includes('=')) continue;
    env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return env;
}

/** ExecStart's arguments, WorkingDirectory and UMask, with the app folder mapped to this clone (node: this process's). */
function unitCommand(): { argv: string[]; cwd: string; umask: string } {
  const [program, ...args] = one('ExecStart')!.split(/\s+/);
  expect(program).toBe('/usr/bin/node');
  return {
    argv: args.map((a) => a.replace(APP_DIR, REPO_ROOT)),
    cwd: one('WorkingDirectory')!.replace(APP_DIR, REPO_ROOT),
    umask: one('UMask')!,
  };
}

/** A started gateway process, with its output captured. */
function track(child: ChildProcess): CliProcess {
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
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
}

describe('deploy/evercycle-gateway.service', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  /** A simulator, and the EnvironmentFile of a gateway that signs in to it by itself on a free port. */
  async function upstream(): Promise<{ envFile: string; port: number }> {
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
    return { envFile, port };
  }

  function start(program: string, args: string[], cwd: string, env: Record<string, string>): CliProcess {
    const child = spawn(program, args, { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return track(child);
  }

  /** Listening on its PORT, ready once the service account signed in, proxying; returns the token file (0600 in the state directory). */
  async function expectServing(proc: CliProcess, port: number, stateDir: string): Promise<string> {
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
    const tokenFile = path.join(stateDir, 'tokens.json');
    for (let i = 0; !existsSync(tokenFile) && i < 100; i++) await sleep(20);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    return tokenFile;
  }

  /** KillSignal=SIGTERM: a graceful exit 0, well within TimeoutStopSec. */
  async function expectGracefulStop(proc: CliProcess): Promise<void> {
    const started = Date.now();
    const { code } = await proc.stop();
    expect(code, proc.stderr()).toBe(0);
    expect(Date.now() - started).toBeLessThan(Number(/^(\d+)s$/.exec(one('TimeoutStopSec')!)![1]) * 1000);
  }

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

    const { envFile, port } = await upstream();
    const env = unitEnvironment(stateRoot, envFile);
    expect(env.EVERCYCLE_DATA_DIR).toBe(stateDir);
    const { argv, cwd, umask } = unitCommand();
    // `sh -c 'umask ...; exec node ...'`: node then is the process (as systemd's MAINPID).
    const proc = start('/bin/sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', process.execPath, ...argv], cwd, env);

    await expectServing(proc, port, stateDir);
    // The process runs under the unit's umask (Linux shows it in /proc).
    if (process.platform === 'linux') {
      const status = await readFile(`/proc/${proc.child.pid}/status`, 'utf8');
      expect(/^Umask:\s*(\d+)$/m.exec(status)?.[1]).toBe('0077');
    }
    // NODE_ENV=production from Environment=: JSON log lines, not pino-pretty.
    expect(proc.logs().length).toBeGreaterThan(0);
    await expectGracefulStop(proc);
  }, 30_000);

  // The unprivileged user must be able to read this clone and node: here every folder above
  // them is 0755 and the files 0644 (/work/main, /usr/bin/node). A clone inside a private
  // home folder would fail these tests with EACCES, as the unit would: it runs from /opt.
  describe.skipIf(NO_SANDBOX !== null)('in force, as emulated with unshare, mount and setpriv', () => {
    const keepVisible = [REPO_ROOT, process.execPath];

    it('leaves only the state directory and a private /tmp writable', async () => {
      const dirs = await sandboxDirs(one('StateDirectory')!);
      cleanup.push(() => rm(dirs.root, { recursive: true, force: true }));
      const targets = {
        repo: path.join(REPO_ROOT, '.sandbox-probe'),
        dist: path.join(REPO_ROOT, 'dist', '.sandbox-probe'),
        etc: '/etc/.sandbox-probe',
        usr: '/usr/.sandbox-probe',
        state: path.join(dirs.stateDir, 'probe'),
        tmp: '/tmp/.sandbox-probe',
        varTmp: '/var/tmp/.sandbox-probe',
      };
      // Run as the unit's process would be (same user, umask, mounts): each write's outcome,
      // whether the host's /tmp shows through, and whether /root can be listed.
      const probe = `
        const fs = require('node:fs');
        const [targets, marker] = [JSON.parse(process.argv[1]), process.argv[2]];
        const out = {};
        for (const [name, file] of Object.entries(targets)) {
          try { fs.writeFileSync(file, 'x'); out[name] = 'written'; } catch (err) { out[name] = err.code; }
        }
        out.hostTmpVisible = fs.existsSync(marker);
        try { fs.readdirSync('/root'); out.root = 'listed'; } catch (err) { out.root = err.code; }
        console.log(JSON.stringify(out));`;
      const { umask } = unitCommand();
      const [program, args] = sandboxed([process.execPath, '-e', probe, JSON.stringify(targets), dirs.hostTmpMarker], { dirs, umask, keepVisible });
      const run = spawnSync(program, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 10_000 });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
      const result = JSON.parse(run.stdout) as Record<string, unknown>;
      // EROFS, not EACCES: the read-only mount refuses the write before permissions are
      // looked at, so this is ProtectSystem=strict at work, not file modes.
      expect(result).toEqual({
        repo: 'EROFS',
        dist: 'EROFS',
        etc: 'EROFS',
        usr: 'EROFS',
        state: 'written',
        tmp: 'written',
        varTmp: 'written',
        hostTmpVisible: false,
        root: keepVisible.some((p) => p.startsWith('/root/')) ? 'listed' : 'EACCES',
      });
      // Outside: the state directory's file belongs to the service's user, 0600 (UMask=);
      // nothing reached the clone or the host's /tmp.
      const written = await stat(targets.state);
      expect([written.uid, written.gid, written.mode & 0o777]).toEqual([SANDBOX_UID, SANDBOX_GID, 0o600]);
      expect(existsSync(targets.repo)).toBe(false);
      expect(existsSync(targets.tmp)).toBe(false);
    });

    it('runs the gateway: it signs in, proxies, writes its token file 0600 as its user, holds no capability, and exits 0 on SIGTERM', async () => {
      const dirs = await sandboxDirs(one('StateDirectory')!);
      cleanup.push(() => rm(dirs.root, { recursive: true, force: true }));
      const { envFile, port } = await upstream();
      const env = unitEnvironment(dirs.stateRoot, envFile);
      expect(env.EVERCYCLE_DATA_DIR).toBe(dirs.stateDir);
      const { argv, cwd, umask } = unitCommand();
      const [program, args] = sandboxed([process.execPath, ...argv], { dirs, umask, keepVisible });
      const proc = start(program, args, cwd, env);

      const tokenFile = await expectServing(proc, port, dirs.stateDir);
      expect((await stat(tokenFile)).uid).toBe(SANDBOX_UID);
      // The pid is node's (unshare, sh and setpriv each exec the next): it is in a mount
      // namespace of its own whose root is read-only, as the unprivileged user, with no
      // capability and no way to gain one.
      const pid = proc.child.pid!;
      expect(readlinkSync(`/proc/${pid}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
      expect(/^\S+ \S+ \S+ \S+ \/ (\S+)/m.exec(await readFile(`/proc/${pid}/mountinfo`, 'utf8'))?.[1]?.split(',')).toContain('ro');
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const field = (name: string): string | undefined => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim();
      expect(field('Name')).toBe('node');
      expect(field('Uid')?.split(/\s+/)).toEqual(Array(4).fill(String(SANDBOX_UID)));
      expect(field('Gid')?.split(/\s+/)).toEqual(Array(4).fill(String(SANDBOX_GID)));
      expect(field('Groups')).toBe('');
      expect(field('NoNewPrivs')).toBe('1');
      expect(field('CapEff')).toMatch(/^0+$/);
      expect(field('CapPrm')).toMatch(/^0+$/);
      expect(field('CapBnd')).toMatch(/^0+$/);
      expect(field('CapAmb')).toMatch(/^0+$/);
      expect(field('Umask')).toBe(umask);
      await expectGracefulStop(proc);
    }, 30_000);
  });
});
