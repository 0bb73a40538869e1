// deploy/Dockerfile, deploy/compose.yaml and .dockerignore, checked statically: CI has no
// Docker engine, so nothing here builds an image or starts a container, and whether the
// image builds and the stack comes up is NOT shown. What is shown: the files cannot drift
// from the code. Every variable a gateway is given is a setting of src/config.ts (renaming
// a setting fails here) and together they parse and pass the start rule for a public HOST;
// Caddy's upstreams are gateway services on the port they listen on; TRUST_PROXY names the
// network Caddy is on; the image runs what `npm run build` produces, as a non-root user,
// from files the build stage has or the build context lets through; secrets stay out of it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSettings, SETTINGS } from '../src/config.js';
import { exposureDecision } from '../src/access/exposure.js';
import { copies, dockerignored, envOf, last, parseDockerfile, workdirs } from './helpers/dockerfile.js';
import { REPO_ROOT } from './helpers/stack.js';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const SETTING_NAMES = new Set(Object.values(SETTINGS).map((s) => s.env));
// Not a gateway setting, but read by node and the logger (JSON logs in production).
const ALSO_ALLOWED = new Set(['NODE_ENV']);

const dockerfile = await readFile(path.join(DEPLOY, 'Dockerfile'), 'utf8');
const dockerignore = await readFile(path.join(REPO_ROOT, '.dockerignore'), 'utf8');
const caddyfile = await readFile(path.join(DEPLOY, 'Caddyfile'), 'utf8');
const compose = parse(await readFile(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as Compose;

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string> | string[];
  env_file?: string | string[];
  ports?: string[];
  volumes?: string[];
  networks?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: unknown;
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { ipam: { config: { subnet: string }[] } }>;
}

/** compose's `${VAR:-default}`, with the defaults (no environment is consulted). */
const interpolate = (v: string): string => v.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name, def: string | undefined) => def ?? '');
function assignments(lines: string[]): Record<string, string> {
  return Object.fromEntries(lines.filter((l) => l.includes('=') && !l.trim().startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1)]));
}
function environmentOf(service: Service): Record<string, string> {
  const env = Array.isArray(service.environment) ? assignments(service.environment) : { ...service.environment };
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
}

const stages = parseDockerfile(dockerfile);
const build = stages[0]!;
const final = stages.at(-1)!;
const services = compose.services;
const gatewayNames = Object.keys(services).filter((name) => {
  const b = services[name]!.build;
  return b !== undefined && path.resolve(DEPLOY, b.context, b.dockerfile) === path.join(DEPLOY, 'Dockerfile');
});

/** What a gateway container sees: the image's ENV, then the env_file (its committed .example), then environment:. */
async function gatewayEnv(name: string): Promise<{ env: Record<string, string>; sources: Record<string, string[]> }> {
  const service = services[name]!;
  const envFiles = [service.env_file ?? []].flat();
  const fromFiles: Record<string, string> = {};
  for (const file of envFiles) {
    // The real file holds secrets and is not committed: its template is.
    Object.assign(fromFiles, assignments((await readFile(path.join(DEPLOY, `${file}.example`), 'utf8')).split('\n')));
  }
  const image = envOf(final);
  const own = environmentOf(service);
  return {
    env: { ...image, ...fromFiles, ...own },
    sources: { 'deploy/Dockerfile ENV': Object.keys(image), [`env_file ${envFiles.join(',')}.example`]: Object.keys(fromFiles), [`${name}.environment`]: Object.keys(own) },
  };
}

describe('deploy/compose.yaml', () => {
  it('runs two gateways from deploy/Dockerfile, and only Caddy publishes a port', () => {
    expect(gatewayNames).toHaveLength(2);
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'caddy') expect(service.ports, name).toBeUndefined();
    }
  });

  it('gives the gateways only real setting names, whose values parse and pass the start rule', async () => {
    for (const name of gatewayNames) {
      const { env, sources } = await gatewayEnv(name);
      for (const [source, keys] of Object.entries(sources)) {
        expect(keys.filter((k) => !SETTING_NAMES.has(k) && !ALSO_ALLOWED.has(k)), `${source}: not settings of src/config.ts`).toEqual([]);
      }
      // The template's key is a placeholder the gateway refuses until it is replaced.
      expect(() => loadSettings(env, '/app')).toThrow(/EVERCYCLE_SECRET_KEY/);
      const settings = loadSettings({ ...env, EVERCYCLE_SECRET_KEY: 'ab'.repeat(32) }, '/app');
      // HOST=0.0.0.0 is not loopback: the gateway starts only with keys (or the insecure
      // opt-out). The keys file itself is made at deploy time (compose.yaml's header).
      expect(settings.host).toBe('0.0.0.0');
      const decision = exposureDecision({ host: settings.host, keysConfigured: Boolean(settings.keysFile), insecureNoAuth: settings.insecureNoAuth, trustProxy: settings.trustProxy });
      expect(decision, name).toEqual({ action: 'start' });
    }
  });

  it('points each gateway at the Redis service and trusts X-Forwarded-For from the network Caddy is on', async () => {
    const subnets = Object.fromEntries(Object.entries(compose.networks).map(([n, net]) => [n, interpolate(net.ipam.config[0]!.subnet)]));
    for (const name of gatewayNames) {
      const { env } = await gatewayEnv(name);
      const redis = new URL(env.EVERCYCLE_REDIS_URL!);
      expect(services[redis.hostname]?.image, `${name}: EVERCYCLE_REDIS_URL host`).toMatch(/^redis:/);
      expect(redis.port).toBe('6379');
      const depends = services[name]!.depends_on as Record<string, { condition: string }>;
      expect(depends[redis.hostname]?.condition).toBe('service_healthy');
      expect(services[redis.hostname]!.healthcheck).toBeDefined();
      const network = services[name]!.networks!.find((n) => subnets[n] === env.TRUST_PROXY);
      expect(network, `${name}: TRUST_PROXY=${env.TRUST_PROXY} is no network of the gateway`).toBeDefined();
      expect(services.caddy!.networks).toContain(network);
      // Longer than the gateway's shutdown grace, so a stop is not cut short by SIGKILL.
      expect(Number(/^(\d+)s$/.exec(services[name]!.stop_grace_period ?? '')?.[1]) * 1000).toBeGreaterThan(Number(SETTINGS.shutdownGraceMs.default));
    }
  });

  it('gives Caddy only variables deploy/Caddyfile reads, its GATEWAY_A/B naming both gateways on their PORT', async () => {
    const caddy = services.caddy!;
    expect(caddy.image).toMatch(/^caddy:2/);
    expect(caddy.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
    const placeholders = new Set([...caddyfile.matchAll(/\{\$(\w+)/g)].map((m) => m[1]));
    const env = environmentOf(caddy);
    expect(Object.keys(env).filter((k) => !placeholders.has(k))).toEqual([]);
    const targets: string[] = [];
    for (const variable of ['GATEWAY_A', 'GATEWAY_B']) {
      const [host, port] = (env[variable] ?? '').split(':');
      expect(gatewayNames, `${variable}=${env[variable]}`).toContain(host);
      const gatewayPort = (await gatewayEnv(host!)).env.PORT ?? SETTINGS.port.default;
      expect(port, `${variable}: the port ${host} listens on`).toBe(gatewayPort);
      targets.push(host!);
    }
    expect(new Set(targets).size).toBe(2);
    // The port of SITE_ADDRESS (":8080") is the one published.
    const sitePort = /:(\d+)$/.exec(env.SITE_ADDRESS ?? '')?.[1];
    expect(caddy.ports).toContain(`${sitePort}:${sitePort}`);
  });
});

describe('deploy/Dockerfile', () => {
  it('builds on node 20 (package.json engines) in two stages', async () => {
    const engines = (JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).toBe(`node:${/\d+/.exec(engines)![0]}-bookworm-slim`);
    expect(stages.map((s) => s.name)).toEqual(['build', undefined]);
  });

  it('runs as a non-root user: `node dist/cli/main.js serve`, the file `npm run build` writes', async () => {
    const user = last(final, 'USER');
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(JSON.parse(last(final, 'CMD')!)).toEqual(['node', 'dist/cli/main.js', 'serve']);
    // The script comes from the build stage's outDir of tsconfig.build.json, which the test
    // setup built from the same config: it exists.
    const outDir = (JSON.parse(await readFile(path.join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir;
    const script = path.posix.join(workdirs(final).at(-1)!, 'dist/cli/main.js');
    const copy = copies(final).find((c) => script.startsWith(`${c.dest}/`));
    expect(copy?.from).toBe('build');
    expect(copy?.sources).toEqual([path.posix.join(workdirs(build).at(-1)!, outDir)]);
    expect(existsSync(path.join(REPO_ROOT, outDir, path.posix.relative(copy!.dest, script)))).toBe(true);
    // The health check is node itself asking /health (exec form: a typo in the JSON would
    // silently make it a shell command).
    const health = JSON.parse(/\bCMD\s+(\[.*\])$/.exec(last(final, 'HEALTHCHECK')!)![1]!) as string[];
    expect(health.slice(0, 2)).toEqual(['node', '-e']);
    expect(health[2]).toContain('/health');
    expect(last(final, 'EXPOSE')).toBe(envOf(final).PORT);
  });

  it('copies into the final image only what the build stage produced or the context holds', () => {
    const buildDir = workdirs(build).at(-1)!;
    const runs = build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    // What the build stage makes itself: node_modules (npm ci), dist (npm run build).
    const produced = new Set([...(runs.some((r) => /\bnpm ci\b/.test(r)) ? ['node_modules'] : []), ...(runs.some((r) => /\bnpm run build\b/.test(r)) ? ['dist'] : [])]);
    // Absolute paths in the build stage that were copied from the context.
    const fromContext = new Set(copies(build).flatMap((c) => c.targets.map(([, target]) => target)));
    const contextSources = [...copies(build), ...copies(final).filter((c) => c.from === undefined)].flatMap((c) => c.sources);
    for (const c of copies(final)) {
      for (const source of c.sources) {
        if (c.from === 'build') {
          const rel = path.posix.relative(buildDir, source);
          expect(produced.has(rel) || fromContext.has(source), `COPY --from=build ${source}`).toBe(true);
        } else {
          expect(c.from, `COPY ${source}`).toBeUndefined();
        }
      }
    }
    for (const source of contextSources) {
      expect(existsSync(path.join(REPO_ROOT, source)), `${source} exists in the repository`).toBe(true);
      expect(dockerignored(source, dockerignore), `${source} is let through .dockerignore`).toBe(false);
    }
    expect(copies(final).map((c) => path.posix.basename(c.dest)).sort()).toEqual(['apis', 'dist', 'node_modules', 'package.json']);
  });

  it('.dockerignore keeps local state and secrets out of the build context', () => {
    for (const file of ['node_modules/fastify/package.json', 'dist/cli/main.js', 'data/tokens.json', 'test-results/x.json', '.git/config', 'deploy/gateway.env', 'keys.json', '.env']) {
      expect(dockerignored(file, dockerignore), file).toBe(true);
    }
  });
});
