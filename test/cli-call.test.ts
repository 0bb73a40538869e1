// `evercycle-gateway call`, run as a child process against a real gateway and simulator
// (and a recording upstream where the exact bytes matter): stdout is the answer's data as
// pretty JSON, errors are one message on stderr, and the exit code says which.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, childEnv, runCli, type CliRun } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/stack.js';
import { startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { signIn, startGateway, startStack, tempDir, type Stack, type StartedGateway } from './helpers/stack.js';
import { postJson } from './helpers/tokens.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  await signIn(stack);
});
afterAll(async () => {
  await stack.close();
});

function call(args: string[], options: { input?: string; url?: string } = {}): Promise<CliRun> {
  return runCli(['call', ...args], { env: { EVERCYCLE_GATEWAY_URL: options.url ?? stack.url }, input: options.input });
}

async function direct(target: string): Promise<{ status: string; data: unknown }> {
  return (await (await fetch(`${stack.url}${target}`)).json()) as { status: string; data: unknown };
}

/** How many calls the simulator has answered so far. */
function calls(): number {
  return Object.values(stack.sim.calls()).reduce((a, b) => a + b, 0);
}

/** How many requests the gateway has completed so far (from its own log). */
function completedRequests(): number {
  return stack.logs.entries().filter((l) => l.msg === 'request completed').length;
}

describe('call: success', () => {
  it("prints the answer's data as pretty JSON (2 spaces) and a newline; exit 0, stderr empty", async () => {
    const run = await call(['get-asset-id', '42']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const expected = (await direct('/api/get-asset-id/42')).data;
    expect(run.stdout).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect((expected as { id: number }).id).toBe(42);
  });

  it('--raw prints the whole envelope', async () => {
    const run = await call(['get-asset-id', '42', '--raw']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(await direct('/api/get-asset-id/42'));
    expect(JSON.parse(run.stdout).status).toBe('success');
  });

  it('--query is repeatable and keeps its order', async () => {
    const run = await call(['get-all', '--query', 'page_num=2', '-q', 'per_page=3']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual((await direct('/api/get-all?page_num=2&per_page=3')).data);
    expect(JSON.parse(run.stdout)).toHaveLength(3);
  });

  it('uses the API\'s own method: --data inline JSON on a PUT API', async () => {
    const run = await call(['grade', '3', 'C', '--data', '{"price": 123.5}']);
    expect(run.code, run.stderr).toBe(0);
    const data = JSON.parse(run.stdout) as { id: number; grade_price: { grade: string; price: number }[] };
    expect(data.id).toBe(3);
    expect(data.grade_price).toContainEqual({ grade: 'C', price: 123.5 });
  });

  it('--data @file.json and --data - (stdin) on a POST API', async () => {
    const file = path.join(await tempDir(), 'asset.json');
    await writeFile(file, JSON.stringify({ asset_type_id: 1, make: 'Apple', model: 'MacBook Pro 14', serial_number: 'CLI-FILE-1', year: 2023 }));
    const fromFile = await call(['create', '--data', `@${file}`]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ serial_number: 'CLI-FILE-1', make: 'Apple' });

    const fromStdin = await call(['create', '--data', '-'], { input: JSON.stringify({ asset_type_id: 2, make: 'Dell', model: 'Latitude 7440', serial_number: 'CLI-STDIN-1', year: 2024 }) });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ serial_number: 'CLI-STDIN-1', make: 'Dell' });
  });
});

describe('call: what reaches the upstream (recording upstream)', () => {
  let upstream: RecordingUpstream;
  let gw: StartedGateway;
  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    gw = await startGateway(upstream.url);
    expect((await postJson(gw.url, '/api/auth', { username: 'u', password: 'p' })).status).toBe(200);
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it("a query value may contain '='; a path parameter with '/' stays one segment; the body is sent as given", async () => {
    const body = '{"price":  480, "note": "a=b"}';
    const run = await call(['grade', '7', 'A/B', '--query', 'filter=make=Dell', '--data', body], { url: gw.url });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true });
    const sent = upstream.requests.at(-1)!;
    expect(sent.method).toBe('PUT');
    expect(sent.url).toBe('/v1/pricebook/7/A%2FB?filter=make%3DDell');
    expect(sent.body.toString('utf8')).toBe(body);
  });
});

describe('call: errors', () => {
  it('an HTTP error: exit 1, "error: HTTP <status>: <gateway message>" on stderr, stdout empty', async () => {
    const run = await call(['get-asset-id', '999999']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: HTTP 404: Asset not found\n');
  });

  it('--raw on an error: the error envelope on stdout, the message on stderr, exit 1', async () => {
    const run = await call(['get-asset-id', '999999', '--raw']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'error', message: 'Asset not found', upstream_status: 404 });
    expect(run.stderr).toBe('error: HTTP 404: Asset not found\n');
  });

  it('a body that fails the schema: the 400 and each field on stderr', async () => {
    const run = await call(['grade', '1', 'B', '--data', '{"price":"free"}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: HTTP 400: request body does not match the schema of grade\n  /price: must be number\n');
  });

  it('an invalid path parameter: the gateway\'s 400 naming it', async () => {
    const run = await call(['get-asset-id', 'abc']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: HTTP 400: .*id/);
  });

  it('an unknown API: says so, suggests the near name and `list`; exit 1', async () => {
    const run = await call(['get-assetid', '1']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("error: the gateway has no API named 'get-assetid' (did you mean get-asset-id?); run `evercycle-gateway list` to see them\n");
  });

  it('invalid JSON in --data is a usage error (exit 2) and nothing is sent, not even the API lookup', async () => {
    const before = completedRequests();
    const inline = await call(['grade', '1', 'B', '--data', '{"price":']);
    expect(inline.code).toBe(2);
    expect(inline.stderr).toMatch(/^error: --data is not valid JSON: /);
    const stdin = await call(['create', '--data', '-'], { input: 'not json' });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toMatch(/^error: --data \(stdin\) is not valid JSON: /);
    const missing = await call(['create', '--data', '@/nonexistent/asset.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('error: --data: cannot read /nonexistent/asset.json: ENOENT\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(completedRequests()).toBe(before);
  });

  it('--data @FILE over the 1 MiB body limit is refused by its size (exit 2), a device is read no further than the limit; nothing is sent (review #9)', async () => {
    const dir = await tempDir();
    const big = path.join(dir, 'big.json');
    await writeFile(big, `{"price":1,"pad":"${'x'.repeat(1024 * 1024)}"}`);
    const before = completedRequests();
    const run = await call(['grade', '1', 'B', '--data', `@${big}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: --data (${big}) is ${1024 * 1024 + 20} bytes, larger than 1048576, the gateway's body limit\n`);
    // An endless device: stops at the limit, quickly, without running out of memory.
    const started = Date.now();
    const zero = await call(['grade', '1', 'B', '--data', '@/dev/zero']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toBe("error: --data (/dev/zero) is larger than 1048576 bytes, the gateway's body limit\n");
    expect(Date.now() - started).toBeLessThan(10_000);
    // stdin too.
    const stdin = await call(['grade', '1', 'B', '--data', '-'], { input: `{"pad":"${'y'.repeat(1024 * 1024 + 10)}"}` });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toBe("error: --data (stdin) is larger than 1048576 bytes, the gateway's body limit\n");
    await new Promise((r) => setTimeout(r, 50));
    expect(completedRequests()).toBe(before);
  });

  it('--data @FILE may start with a UTF-8 BOM; a binary file\'s bytes are never echoed (review #9 nit)', async () => {
    const dir = await tempDir();
    const bom = path.join(dir, 'bom.json');
    await writeFile(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"price": 481}')]));
    const run = await call(['grade', '2', 'B', '--data', `@${bom}`]);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { grade_price: { grade: string; price: number }[] }).grade_price).toContainEqual({ grade: 'B', price: 481 });
    const binary = path.join(dir, 'binary.bin');
    await writeFile(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x01, 0xfe]));
    const bad = await call(['grade', '2', 'B', '--data', `@${binary}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --data \([^)]*binary\.bin\) is not valid JSON: [\x20-\x7e]*\n$/);
  });

  it('the wrong number of path parameters is a usage error (exit 2) naming the placeholders, before the call is sent', async () => {
    const before = calls();
    const none = await call(['get-asset-id']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('error: get-asset-id takes 1 path parameter ({id}), 0 given: evercycle-gateway call get-asset-id <id>\n');
    const extra = await call(['get-asset-id', '1', '2']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toBe('error: get-asset-id takes 1 path parameter ({id}), 2 given: evercycle-gateway call get-asset-id <id>\n');
    const two = await call(['grade', '1', '--data', '{"price":1}']);
    expect(two.code).toBe(2);
    expect(two.stderr).toBe('error: grade takes 2 path parameters ({id}, {grade}), 1 given: evercycle-gateway call grade <id> <grade>\n');
    const zero = await call(['get-all', '7']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toBe('error: get-all takes no path parameter, 1 given: evercycle-gateway call get-all\n');
    expect(calls()).toBe(before);
  });

  it('an EVERCYCLE_GATEWAY_KEY_FILE readable by others is used with a warning to chmod 600 it', async () => {
    const dir = await tempDir();
    const keyFile = path.join(dir, 'key');
    await writeFile(keyFile, 'some-client-key\n');
    await chmod(keyFile, 0o644);
    const env = { EVERCYCLE_GATEWAY_URL: stack.url, EVERCYCLE_GATEWAY_KEY_FILE: keyFile };
    const open644 = await runCli(['call', 'get-asset-id', '42'], { env });
    expect(open644.stderr).toContain(`warning: EVERCYCLE_GATEWAY_KEY_FILE ${keyFile} can be read by other users (mode 644): \`chmod 600 ${keyFile}\`\n`);
    expect(open644.code).toBe(0);
    await chmod(keyFile, 0o600);
    const private600 = await runCli(['call', 'get-asset-id', '42'], { env });
    expect(private600.stderr).toBe('');
    expect(private600.code).toBe(0);
  });

  it('--query without "=" and unknown options are usage errors (exit 2)', async () => {
    const noEquals = await call(['get-all', '--query', 'page_num']);
    expect(noEquals.code).toBe(2);
    expect(noEquals.stderr).toContain('expected name=value');
    const unknown = await call(['get-all', '--body', '{}']);
    expect(unknown.code).toBe(2);
    const noApi = await call([]);
    expect(noApi.code).toBe(2);
    expect(noApi.stderr).toContain("missing required argument 'api'");
  });

  it('--data on a GET API is a usage error (exit 2): GET bodies would be ignored', async () => {
    const run = await call(['get-all', '--data', '{"page_num":1}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: get-all is a GET API: it takes no body (give parameters with --query)\n');
  });

  it('a gateway without an Evercycle session: the 401 and how to sign it in', async () => {
    const fresh = await startStack();
    try {
      const run = await call(['get-all'], { url: fresh.url });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('error: HTTP 401: not authenticated: POST /api/auth first\n(sign the gateway in with `evercycle-gateway login`)\n');
    } finally {
      await fresh.close();
    }
  });

  it('an unreachable gateway: exit 1 with a clear message', async () => {
    const run = await call(['get-all'], { url: 'http://127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: cannot reach the gateway at http:\/\/127\.0\.0\.1:1: connection refused/);
  });

  it('--help: exit 0, usage and examples on stdout', async () => {
    const run = await runCli(['call', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: evercycle-gateway call [options] <api> [pathParam...]');
    expect(run.stdout).toContain('--data <json>');
    expect(run.stdout).toContain('Exit codes');
  });
});

/**
 * Run the CLI with its stdout either a pipe the reader closes at once (as `| head` does
 * after its lines) or an open file descriptor (`> /dev/full`); its exit code and stderr.
 */
function runWithStdout(args: string[], stdout: 'closed-pipe' | number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: childEnv({ EVERCYCLE_GATEWAY_URL: stack.url }),
    stdio: ['ignore', stdout === 'closed-pipe' ? 'pipe' : stdout, 'pipe'],
  });
  if (stdout === 'closed-pipe') child.stdout!.destroy();
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not finish: ${stderr}`));
    }, 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('call and list: stdout that cannot be written (review #4)', () => {
  it('a reader that closes the pipe (`| head`): a quiet end, exit 0, no stack trace', async () => {
    for (const args of [['call', 'get-all', '--query', 'per_page=500'], ['list', '--json'], ['list']]) {
      const run = await runWithStdout(args, 'closed-pipe');
      expect(run.stderr, args.join(' ')).toBe('');
      expect(run.code, args.join(' ')).toBe(0);
    }
  });

  it.skipIf(!existsSync('/dev/full'))('a full device (`> /dev/full`): one `error: cannot write the output: ...` line, exit 1', async () => {
    const full = await open('/dev/full', 'w');
    try {
      for (const args of [['call', 'get-all', '--query', 'per_page=50'], ['call', 'get-asset-id', '424242', '--raw'], ['list', '--json'], ['list']]) {
        const run = await runWithStdout(args, full.fd);
        expect(run.code, args.join(' ')).toBe(1);
        const lines = run.stderr.trimEnd().split('\n');
        // With --raw on an HTTP error the write fails first: that is what is reported.
        expect(lines[0], args.join(' ')).toMatch(/^error: cannot write the output: .*ENOSPC|^error: cannot write the output: .*no space/i);
        expect(run.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      await full.close();
    }
  });
});
