// `evercycle-gateway list`, run as a child process against a real gateway: the table
// (plain when piped, fitted to the width at a terminal), --json, and its failures.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { writeKeys } from './helpers/keys.js';
import { runInPty, type PtyRun } from './helpers/pty.js';
import { startStack, tempDir, type Stack } from './helpers/stack.js';

interface Listed {
  name: string;
  method: string;
  path: string;
  description: string;
}

let stack: Stack;
let listed: Listed[];
let ptys: PtyRun[] = [];

beforeAll(async () => {
  stack = await startStack();
  listed = ((await (await fetch(`${stack.url}/api/list`)).json()) as { apis: Listed[] }).apis;
});
afterAll(async () => {
  await stack.close();
});
afterEach(() => {
  for (const p of ptys) p.kill();
  ptys = [];
});

const env = () => ({ EVERCYCLE_GATEWAY_URL: stack.url });

describe('list', () => {
  it('prints a table of every API: a header, one row per API in the gateway\'s order, full width when piped', async () => {
    const run = await runCli(['list'], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +METHOD +PATH +DESCRIPTION$/);
    expect(lines).toHaveLength(listed.length + 1);
    listed.forEach((api, i) => {
      expect(lines[i + 1]!.split(/\s{2,}/)).toEqual([api.name, api.method, api.path, api.description]);
    });
    expect(run.stdout).not.toContain('…');
  });

  it('--json prints exactly the array GET /api/list answers', async () => {
    const run = await runCli(['list', '--json'], { env: env() });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(listed);
    expect(run.stdout).toBe(`${JSON.stringify(listed, null, 2)}\n`);
  });

  it('at a terminal, every line fits its width (descriptions cut with an ellipsis)', async () => {
    const run = runInPty(['list'], { env: env(), cols: 70 });
    ptys.push(run);
    expect(await run.exited).toBe(0);
    const lines = run.screen().trimEnd().split('\n');
    expect(lines).toHaveLength(listed.length + 1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(70);
    expect(run.screen()).toContain('…');
    // Only descriptions are cut when that is enough.
    for (const api of listed) expect(run.screen()).toContain(`${api.name} `);
    expect(run.screen()).toContain('/v1/pricebook/{id}/{grade}');
  });

  it('--gateway wins over EVERCYCLE_GATEWAY_URL', async () => {
    const run = await runCli(['list', '--json', '--gateway', stack.url], { env: { EVERCYCLE_GATEWAY_URL: 'http://127.0.0.1:1' } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(listed.length);
  });

  it('an unreachable gateway: exit 1, a clear message on stderr, nothing on stdout', async () => {
    const run = await runCli(['list', '--gateway', 'http://127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: cannot reach the gateway at http://127.0.0.1:1: connection refused (is it running? set --gateway or EVERCYCLE_GATEWAY_URL)\n');
  });

  it('an invalid gateway URL is a usage error (exit 2)', async () => {
    const run = await runCli(['list', '--gateway', 'ftp://example.com']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('invalid gateway URL');
  });

  it('something that is not a gateway (the simulator) is reported, not crashed on', async () => {
    const run = await runCli(['list', '--gateway', stack.simUrl]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('with API keys: no key is refused with the gateway\'s 401, a read key lists', async () => {
    const { file, keys } = await writeKeys(await tempDir(), { dash: { role: 'read' } });
    const keyed = await startStack({ env: { API_KEYS_FILE: file } });
    try {
      const refused = await runCli(['list'], { env: { EVERCYCLE_GATEWAY_URL: keyed.url } });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: HTTP 401: API key required/);
      const ok = await runCli(['list', '--json'], { env: { EVERCYCLE_GATEWAY_URL: keyed.url, EVERCYCLE_GATEWAY_KEY: keys.dash } });
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toHaveLength(listed.length);
    } finally {
      await keyed.close();
    }
  });

  it('an unknown option is a usage error (exit 2); --help exits 0', async () => {
    const bad = await runCli(['list', '--yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--yaml'");
    const help = await runCli(['list', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: evercycle-gateway list');
    expect(help.stdout).toContain('--json');
  });
});
