// The file-system and privilege part of deploy/evercycle-gateway.service's sandbox, built
// with util-linux (unshare, mount, setpriv) for tests that run where systemd is not PID 1
// but we are root (a container with CAP_SYS_ADMIN). Each directive it stands in for:
//   ProtectSystem=strict  every mount of a new mount namespace remounted read-only, except
//                         /dev (PrivateDevices= is not emulated); /proc and /sys too where
//                         the kernel allows it, for ProtectKernelTunables= and
//                         ProtectControlGroups= (stricter: systemd leaves /proc/<pid> writable)
//   PrivateTmp=yes        fresh tmpfs on /tmp and /var/tmp
//   ProtectHome=yes       /home, /root, /run/user replaced by empty, inaccessible tmpfs
//   StateDirectory=       the state folder bind-mounted read-write: the one writable place
//   User=, Group=         setpriv --reuid/--regid/--clear-groups
//   NoNewPrivileges=yes   setpriv --no-new-privs
//   CapabilityBoundingSet=, AmbientCapabilities=
//                         setpriv --bounding-set=-all --inh-caps=-all (and a uid other than 0
//                         has no effective capabilities)
//   UMask=                umask before the exec
// The network namespace is the caller's (unshare -m only): loopback servers of the test
// process stay reachable, as on a host where the unit has no PrivateNetwork=.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** nobody:nogroup — an unprivileged account every Linux has; the test creates none. */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

const PROTECTED_HOMES = ['/home', '/root', '/run/user'];

/**
 * Why the sandbox cannot be built here, or null when it can. One probe: a mount namespace,
 * a read-only remount of its / (only its own view), and setpriv.
 */
export function sandboxUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  const probe = 'mount -n -o remount,bind,ro / && exec setpriv --no-new-privs true';
  const run = spawnSync('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', probe], { encoding: 'utf8', timeout: 10_000 });
  if (run.error) return `unshare cannot be run: ${run.error.message}`;
  if (run.status !== 0) return `\`unshare -m\` and mount are not permitted here (needs root with CAP_SYS_ADMIN): ${run.stderr.trim()}`;
  return null;
}

export interface SandboxDirs {
  /** Holds everything below; remove it afterwards. */
  root: string;
  /** %S: stands for /var/lib. */
  stateRoot: string;
  /** StateDirectory=: 0700, owned by SANDBOX_UID. */
  stateDir: string;
  /** A file in the host's /tmp that must not be visible inside (PrivateTmp). */
  hostTmpMarker: string;
  /** Empty folder where the private /tmp is prepared before it is moved over /tmp. */
  staging: string;
}

/**
 * Folders for one sandboxed run, under /tmp itself (not os.tmpdir()): the private /tmp is
 * prepared so that the state folder keeps the same path inside it, which the script below
 * relies on.
 */
export async function sandboxDirs(stateDirectory: string): Promise<SandboxDirs> {
  const root = await mkdtemp('/tmp/evgw-unit-sandbox-');
  const stateRoot = path.join(root, 'var-lib');
  const stateDir = path.join(stateRoot, stateDirectory);
  const staging = path.join(root, 'private-tmp');
  await mkdir(stateDir, { recursive: true });
  await mkdir(staging);
  // What systemd does for StateDirectory= with StateDirectoryMode=0700 and User=.
  await chown(stateDir, SANDBOX_UID, SANDBOX_GID);
  await chmod(stateDir, 0o700);
  const hostTmpMarker = path.join(root, 'host-tmp-marker');
  await writeFile(hostTmpMarker, 'visible only outside the sandbox\n');
  return { root, stateRoot, stateDir, hostTmpMarker, staging };
}

const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** Mount points of this process's namespace, which `unshare -m` copies. */
function mountPoints(): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    // Field 5; spaces and the like are octal-escaped (\040).
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8))));
  return [...new Set(points)];
}

const under = (p: string, dir: string): boolean => p === dir || p.startsWith(`${dir}/`);

/**
 * [program, args] that run `command` inside the sandbox. `keepVisible`: paths the program
 * needs (this clone, node) that ProtectHome= must not hide when they live under a home
 * folder, where the unit's /opt and /usr/bin never do.
 */
export function sandboxed(command: string[], options: { dirs: SandboxDirs; umask: string; keepVisible: string[] }): [string, string[]] {
  const { stateDir, staging } = options.dirs;
  if (!under(stateDir, '/tmp') || !under(staging, '/tmp')) throw new Error('sandboxed(): the state and staging folders must be under /tmp (see sandboxDirs)');
  const insideStaging = path.join(staging, path.relative('/tmp', stateDir));
  const lines = ['set -eu', 'umask 022'];
  // ProtectSystem=strict (remount,bind changes only this namespace's view of each mount).
  // -n everywhere: /run/mount/utab is read-only from here on.
  for (const point of mountPoints()) {
    if (under(point, '/dev')) continue;
    const tolerated = under(point, '/proc') || under(point, '/sys');
    lines.push(`mount -n -o remount,bind,ro ${q(point)}${tolerated ? ' 2>/dev/null || true' : ''}`);
  }
  // PrivateTmp=: prepared aside, the state folder bound into it at its own path (it lives
  // under the host's /tmp, which the new /tmp hides), then moved over /tmp. A bind mount
  // inherits the read-only flag of its source's mount: remount it read-write.
  lines.push(
    `mount -n -t tmpfs -o mode=1777,nosuid,nodev tmpfs ${q(staging)}`,
    `mkdir -p ${q(insideStaging)}`,
    `mount -n --bind ${q(stateDir)} ${q(insideStaging)}`,
    `mount -n -o remount,bind,rw ${q(insideStaging)}`,
  );
  // A clone checked out under /tmp (CI clones there) stays visible, read-only, at its own
  // path: the unit's /opt never lives under /tmp, so this changes nothing it protects.
  for (const keep of options.keepVisible) {
    if (!under(keep, '/tmp') || under(keep, options.dirs.root)) continue;
    const inside = path.join(staging, path.relative('/tmp', keep));
    // A folder is bound onto a folder, a file (node itself) onto an empty file.
    lines.push(
      `if [ -d ${q(keep)} ]; then mkdir -p ${q(inside)}; else mkdir -p ${q(path.dirname(inside))} && : > ${q(inside)}; fi`,
      `mount -n --bind ${q(keep)} ${q(inside)}`,
      `mount -n -o remount,bind,ro ${q(inside)}`,
    );
  }
  lines.push(
    `mount -n --move ${q(staging)} /tmp`,
    'if [ -d /var/tmp ]; then mount -n -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp; fi',
  );
  // ProtectHome=yes.
  for (const home of PROTECTED_HOMES) {
    if (options.keepVisible.some((p) => under(p, home))) continue;
    lines.push(`if [ -d ${q(home)} ]; then mount -n -t tmpfs -o ro,mode=000 tmpfs ${q(home)}; fi`);
  }
  // User=, NoNewPrivileges=, CapabilityBoundingSet=, UMask=; exec: the command keeps this
  // process's pid (as systemd's MAINPID), so signals sent to it reach the program.
  lines.push(
    `umask ${options.umask}`,
    `exec setpriv --no-new-privs --reuid=${SANDBOX_UID} --regid=${SANDBOX_GID} --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"`,
  );
  return ['unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', lines.join('\n'), 'sandbox', ...command]];
}
