// `evercycle-gateway interactive`, driven through a pseudo-terminal against a real gateway
// and simulator: menus and typed prompts from /openapi.json, the request shown before it
// is sent, the answer printed, the loop, "quit", and Ctrl-C.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiForm, formFromList, maskSecrets } from '../src/cli/api-form.js';
import type { ListedApi } from '../src/cli/gateway-client.js';
import { runCli } from './helpers/cli.js';
import { KEYS, runInPty, type PtyRun } from './helpers/pty.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';

let stack: Stack;
let ptys: PtyRun[] = [];

beforeAll(async () => {
  stack = await startStack();
  await signIn(stack);
});
afterAll(async () => {
  await stack.close();
});
afterEach(() => {
  for (const p of ptys) p.kill();
  ptys = [];
});

function interactive(): PtyRun {
  const run = runInPty(['interactive'], { env: { EVERCYCLE_GATEWAY_URL: stack.url } });
  ptys.push(run);
  return run;
}

/** Pick an API in the menu: typing its name moves the cursor to it. */
async function choose(run: PtyRun, name: string): Promise<void> {
  await run.expect('API to call');
  run.type(name);
  await new Promise((r) => setTimeout(r, 100));
  run.type(KEYS.enter);
}

async function answer(run: PtyRun, prompt: string, keys: string): Promise<void> {
  await run.expect(prompt);
  run.type(`${keys}${KEYS.enter}`);
}

const calls = (key: string) => stack.sim.calls()[key] ?? 0;

describe('interactive', () => {
  it('GET with a typed path parameter: shows the request, sends it on confirmation, prints the answer; quit exits 0', async () => {
    const before = calls('GET /v1/asset/:id');
    const run = interactive();
    await choose(run, 'get-asset-id');
    await answer(run, 'id (path, integer)', '42');
    // No documented query parameters: one free-form query string, Enter for none.
    await answer(run, 'Query string', '');
    await run.expect(`GET ${stack.url}/api/get-asset-id/42`);
    await answer(run, 'Send it?', '');
    await run.expect('HTTP 200');
    await run.expect('"status": "success"');
    await run.expect('"id": 42');
    expect(calls('GET /v1/asset/:id')).toBe(before + 1);

    await choose(run, 'quit');
    expect(await run.exited).toBe(0);
  });

  it('an integer prompt refuses text; documented query parameters are asked one by one and optional', async () => {
    const run = interactive();
    await choose(run, 'by-org');
    await run.expect('org_id (path, integer)');
    run.type(`two${KEYS.enter}`);
    // @inquirer's number prompt keeps asking until it gets a number.
    await run.expect('valid numeric value');
    run.type('\u007f'.repeat(3) + `2${KEYS.enter}`);
    await answer(run, 'page_num (query, integer, optional)', '');
    await answer(run, 'per_page (query, integer, optional)', '2');
    await run.expect(`GET ${stack.url}/api/by-org/2?per_page=2`);
    await answer(run, 'Send it?', '');
    await run.expect('HTTP 200');
    await choose(run, 'quit');
    expect(await run.exited).toBe(0);
  });

  it('PUT with path parameters and a typed body field: one call upstream, the answer shows the new price', async () => {
    const before = calls('PUT /v1/pricebook/:id/:grade');
    const run = interactive();
    await choose(run, 'grade');
    await answer(run, 'id (path, integer)', '5');
    await answer(run, 'grade (path, string)', 'D');
    await answer(run, 'Query string', '');
    await answer(run, 'price (body, number): New price for this grade', '77.25');
    await run.expect(`PUT ${stack.url}/api/grade/5/D`);
    await run.expect('{\n  "price": 77.25\n}');
    await answer(run, 'Send it?', '');
    await run.expect('HTTP 200');
    // The simulator's answer: the pricebook entry with grade D at the new price.
    await run.expect('"grade": "D",\n        "price": 77.25');
    await choose(run, 'quit');
    expect(await run.exited).toBe(0);
    expect(calls('PUT /v1/pricebook/:id/:grade')).toBe(before + 1);
  });

  it('an error answer is shown and the session goes on', async () => {
    const run = interactive();
    await choose(run, 'get-asset-id');
    await answer(run, 'id (path, integer)', '999999');
    await answer(run, 'Query string', 'x=1&y=a%3Db');
    await run.expect(`GET ${stack.url}/api/get-asset-id/999999?x=1&y=a%3Db`);
    await answer(run, 'Send it?', '');
    await run.expect('HTTP 404 (error)');
    await run.expect('"message": "Asset not found"');
    await choose(run, 'quit');
    expect(await run.exited).toBe(0);
  });

  it('declining "Send it?" sends nothing and goes back to the menu', async () => {
    const before = calls('GET /v1/programs');
    const run = interactive();
    await choose(run, 'programs-list');
    await answer(run, 'Query string', '');
    await run.expect(`GET ${stack.url}/api/programs-list`);
    await answer(run, 'Send it?', 'n');
    await choose(run, 'quit');
    expect(await run.exited).toBe(0);
    expect(calls('GET /v1/programs')).toBe(before);
  });

  it('a password body field is asked without echo and masked when the request is shown', async () => {
    const run = interactive();
    await choose(run, 'auth-signin');
    await answer(run, 'Query string', '');
    await answer(run, 'username (body, string)', 'user@example.com');
    await answer(run, 'password (body, string)', 'secret');
    await run.expect(`POST ${stack.url}/api/auth-signin`);
    await run.expect('"password": "********"');
    await answer(run, 'Send it?', 'n');
    await choose(run, 'quit');
    expect(await run.exited).toBe(0);
    expect(run.screen()).not.toContain('secret');
  });

  it('Enter through the optional fields of a create leaves them out: an optional boolean is not sent as true (review #7)', async () => {
    const openapi = await (await fetch(`${stack.url}/openapi.json`)).json();
    const apis = ((await (await fetch(`${stack.url}/api/list`)).json()) as { apis: ListedApi[] }).apis;
    const fields = apiForm(apis.find((a) => a.name === 'create')!, openapi).body!.fields!;
    expect(fields.find((f) => f.name === 'archived')).toMatchObject({ type: 'boolean', required: false });
    const before = calls('POST /v1/asset/create');
    const run = interactive();
    await choose(run, 'create');
    await answer(run, 'Query string', '');
    for (const field of fields) {
      if (field.name === 'archived') {
        // The leave-out choice comes first, so Enter takes it.
        await run.expect('archived (body, boolean, optional)');
        await run.expect('(leave out)');
        run.type(KEYS.enter);
      } else {
        await answer(run, `${field.name} (body, `, field.name === 'serial_number' ? 'INT-ENTER-1' : '');
      }
    }
    await run.expect(`POST ${stack.url}/api/create`);
    await answer(run, 'Send it?', 'n');
    await choose(run, 'quit');
    expect(await run.exited).toBe(0);
    const shown = run.screen().slice(run.screen().lastIndexOf(`POST ${stack.url}/api/create`));
    expect(shown).toContain('"serial_number": "INT-ENTER-1"');
    expect(shown).not.toContain('archived');
    expect(calls('POST /v1/asset/create')).toBe(before);
  });

  it("a sign-in through it shows the answer's tokens masked (review nit)", async () => {
    const { username, password } = stack.sim.demo as { username: string; password: string };
    const run = interactive();
    await choose(run, 'auth-signin');
    await answer(run, 'Query string', '');
    await answer(run, 'username (body, string)', username);
    await answer(run, 'password (body, string)', password);
    await answer(run, 'Send it?', 'y');
    await run.expect('HTTP 200');
    await run.expect('"AccessToken": "********"');
    await choose(run, 'quit');
    expect(await run.exited).toBe(0);
    const screen = run.screen();
    expect(screen).toContain('"IdToken": "********"');
    expect(screen).toContain('"RefreshToken": "********"');
    // No token-looking value (a JWT has two dots) and not the password.
    expect(screen).not.toMatch(/"[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"/);
    expect(screen).not.toContain(password);
  });

  it('Ctrl-C at the menu: exit 130, "cancelled", no stack trace', async () => {
    const run = interactive();
    await run.expect('API to call');
    run.type(KEYS.ctrlC);
    expect(await run.exited).toBe(130);
    expect(run.screen()).toContain('error: cancelled');
    expect(run.screen()).not.toMatch(/\n\s+at /);
  });

  it('Ctrl-C in the middle of a request\'s prompts: exit 130, nothing sent', async () => {
    const before = calls('PUT /v1/pricebook/:id/:grade');
    const run = interactive();
    await choose(run, 'grade');
    await answer(run, 'id (path, integer)', '1');
    await run.expect('grade (path, string)');
    run.type(KEYS.ctrlC);
    expect(await run.exited).toBe(130);
    expect(calls('PUT /v1/pricebook/:id/:grade')).toBe(before);
  });

  it('without a terminal: a usage error (exit 2) pointing at `call`', async () => {
    const run = await runCli(['interactive'], { env: { EVERCYCLE_GATEWAY_URL: stack.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: interactive needs a terminal; in scripts use `evercycle-gateway call`\n');
  });

  it('an unreachable gateway: exit 1 with a clear message', async () => {
    const run = runInPty(['interactive', '--gateway', 'http://127.0.0.1:1']);
    ptys.push(run);
    expect(await run.exited).toBe(1);
    expect(run.screen()).toContain('error: cannot reach the gateway at http://127.0.0.1:1');
  });

  it('--help: exit 0', async () => {
    const run = await runCli(['interactive', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: evercycle-gateway interactive');
    expect(run.stdout).toContain('/openapi.json');
  });
});

describe('the prompts an API gets (api-form.ts, from the gateway\'s own /openapi.json)', () => {
  let apis: ListedApi[];
  let openapi: unknown;
  beforeAll(async () => {
    apis = ((await (await fetch(`${stack.url}/api/list`)).json()) as { apis: ListedApi[] }).apis;
    openapi = await (await fetch(`${stack.url}/openapi.json`)).json();
  });
  const form = (name: string) => apiForm(apis.find((a) => a.name === name)!, openapi);

  it('path parameters in path order, with their types; documented query parameters, optional', () => {
    expect(form('grade').pathParams.map((f) => [f.name, f.type, f.required])).toEqual([
      ['id', 'integer', true],
      ['grade', 'string', true],
    ]);
    expect(form('by-org').query?.map((f) => [f.name, f.type, f.required])).toEqual([
      ['page_num', 'integer', false],
      ['per_page', 'integer', false],
    ]);
    expect(form('get-asset-id').query).toBeNull();
    expect(form('get-all').body).toBeNull();
  });

  it('body fields from the schema: nullable types by their other type, required ones marked, passwords secret', () => {
    const grade = form('grade').body!;
    expect(grade.fields).toEqual([{ name: 'price', type: 'number', required: true, description: 'New price for this grade', secret: false }]);
    const create = form('create').body!.fields!;
    expect(create.find((f) => f.name === 'asset_type_id')).toMatchObject({ type: 'integer', required: false });
    expect(create.find((f) => f.name === 'archived')).toMatchObject({ type: 'boolean', required: false });
    expect(create.find((f) => f.name === 'make')).toMatchObject({ type: 'string', required: false });
    expect(form('auth-signin').body!.fields!.find((f) => f.name === 'password')).toMatchObject({ secret: true, required: true });
    // No schema in the definition: the body is asked as free JSON.
    expect(form('edit-asset-id').body).toEqual({ required: false, fields: null });
  });

  it('maskSecrets masks token, password and secret values at any depth, and nothing else', () => {
    const answer = { status: 'success', data: { AuthenticationResult: { AccessToken: 'a.b.c', ExpiresIn: 3600, IdToken: 'x', RefreshToken: 'r', TokenType: 'Bearer' }, list: [{ password: 'p', name: 'n' }] } };
    expect(maskSecrets(answer, '***')).toEqual({
      status: 'success',
      data: { AuthenticationResult: { AccessToken: '***', ExpiresIn: 3600, IdToken: '***', RefreshToken: '***', TokenType: '***' }, list: [{ password: '***', name: 'n' }] },
    });
    expect(maskSecrets(null, '***')).toBeNull();
    expect(maskSecrets([1, 'a'], '***')).toEqual([1, 'a']);
  });

  it('without the document: the path placeholders from /api/list, as text, and the body as JSON', () => {
    const grade = apis.find((a) => a.name === 'grade')!;
    expect(apiForm(grade, null)).toEqual(formFromList(grade));
    expect(formFromList(grade)).toEqual({
      name: 'grade',
      method: 'PUT',
      pathParams: [
        { name: 'id', type: 'string', required: true, secret: false },
        { name: 'grade', type: 'string', required: true, secret: false },
      ],
      query: null,
      body: { required: false, fields: null },
    });
  });
});
