// `evercycle-gateway interactive`: pick an API from a menu, answer one prompt per path
// parameter, query parameter and body field (typed from the gateway's /openapi.json, see
// api-form.ts), see the request, confirm, send it, read the answer; again until "quit".
// Ctrl-C anywhere ends it with exit code 130 and no stack trace.
import { confirm, input, number, password, select, Separator } from '@inquirer/prompts';
import { Command } from 'commander';
import { apiForm, formFromList, maskSecrets, type ApiForm, type Field } from '../api-form.js';
import { CliError, runCommand } from '../errors.js';
import { apiPath, GatewayClient, gatewayTarget, queryString } from '../gateway-client.js';
import { gatewayOption } from '../options.js';
import { ask, cancellableBySigint } from '../prompt.js';
import { usageErrorsExitTwo } from '../usage.js';

/** Not a possible API name (those are [a-z0-9_-]). */
const QUIT = ':quit';
const MASK = '********';

interface PreparedRequest {
  method: string;
  path: string;
  query: [string, string][];
  /** The body to send, or undefined for none. */
  body: unknown;
  /** The body as shown: secret fields masked. */
  shownBody: unknown;
}

export function interactiveCommand(): Command {
  return usageErrorsExitTwo(new Command('interactive'))
    .description('call APIs through the gateway from menus and prompts: pick one, fill in its parameters, send')
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
Parameter and body-field types come from the gateway's GET /openapi.json (without it, path
parameters are asked as text and the body as JSON). Optional values may be left empty
(Enter): they are not sent; a required yes/no field starts at false. Tokens, passwords and
secrets in an answer (such as auth-signin's AccessToken, IdToken, RefreshToken) are shown
masked; use \`evercycle-gateway login\` to sign the gateway in.
Needs a terminal; in scripts use \`evercycle-gateway call\`. Ctrl-C quits (exit code 130).`,
    )
    .action((opts: { gateway?: string }) => runCommand(() => cancellableBySigint(() => interactive(opts))));
}

async function interactive(opts: { gateway?: string }): Promise<void> {
  if (!process.stdin.isTTY) throw new CliError('interactive needs a terminal; in scripts use `evercycle-gateway call`', 2);
  const target = gatewayTarget(opts.gateway);
  const client = new GatewayClient(target);
  try {
    const apis = await client.listApis();
    if (apis.length === 0) throw new CliError('the gateway serves no APIs');
    const openapi = await fetchOpenApi(client);
    for (;;) {
      const name = await ask(
        select({
          message: 'API to call',
          choices: [
            ...apis.map((a) => ({ value: a.name, name: `${a.name}  ${a.method}`, description: `${a.description} (Evercycle ${a.method} ${a.path})` })),
            new Separator(),
            { value: QUIT, name: 'quit' },
          ],
          pageSize: 15,
        }),
      );
      if (name === QUIT) return;
      const api = apis.find((a) => a.name === name)!;
      const request = await prepare(openapi ? apiForm(api, openapi) : formFromList(api));
      process.stdout.write(`\n${request.method} ${target.url}${request.path}${queryString(request.query)}\n`);
      if (request.shownBody !== undefined) process.stdout.write(`${JSON.stringify(request.shownBody, null, 2)}\n`);
      if (!(await ask(confirm({ message: 'Send it?', default: true })))) continue;
      await send(client, request);
    }
  } finally {
    await client.close();
  }
}

/** The gateway's OpenAPI document, or null (with a note) when it cannot be had. */
async function fetchOpenApi(client: GatewayClient): Promise<unknown> {
  const answer = await client.request('GET', '/openapi.json');
  if (answer.status === 200 && answer.body && typeof answer.body === 'object') return answer.body;
  process.stderr.write(`note: no /openapi.json from the gateway (HTTP ${answer.status}): parameters are asked as text, bodies as JSON\n`);
  return null;
}

async function send(client: GatewayClient, request: PreparedRequest): Promise<void> {
  try {
    const answer = await client.request(request.method, request.path, { query: request.query, body: request.body });
    const ok = answer.status < 400;
    // Tokens and passwords in the answer (a sign-in's AccessToken, IdToken, RefreshToken) are masked.
    process.stdout.write(`\nHTTP ${answer.status}${ok ? '' : ' (error)'}\n${JSON.stringify(maskSecrets(answer.body ?? null, MASK), null, 2)}\n\n`);
  } catch (err) {
    // An unreachable gateway ends this request, not the session.
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`error: ${err.message}\n\n`);
  }
}

/** Ask for every value the API takes; the request to send and how to show it. */
async function prepare(form: ApiForm): Promise<PreparedRequest> {
  const pathParams: string[] = [];
  for (const field of form.pathParams) pathParams.push(String(await askValue(field, 'path')));

  const query: [string, string][] = [];
  if (form.query) {
    for (const field of form.query) {
      const value = await askValue(field, 'query');
      if (value !== undefined) query.push([field.name, typeof value === 'string' ? value : JSON.stringify(value)]);
    }
  } else {
    const raw = await ask(input({ message: 'Query string (name=value&..., Enter for none):' }));
    query.push(...new URLSearchParams(raw.trim().replace(/^\?/, '')));
  }

  let body: unknown;
  let shownBody: unknown;
  if (form.body?.fields) {
    const fields: Record<string, unknown> = {};
    const shown: Record<string, unknown> = {};
    for (const field of form.body.fields) {
      const value = await askValue(field, 'body');
      if (value === undefined) continue;
      fields[field.name] = value;
      shown[field.name] = field.secret ? MASK : value;
    }
    if (Object.keys(fields).length > 0 || form.body.required) [body, shownBody] = [fields, shown];
  } else if (form.body) {
    body = await askValue({ name: 'body', type: 'json', required: form.body.required, secret: false }, 'request');
    shownBody = body;
  }
  return { method: form.method, path: apiPath(form.name, pathParams), query, body, shownBody };
}

/** One value, with the prompt its type calls for; undefined when an optional one is left empty. */
async function askValue(field: Field, where: string): Promise<unknown> {
  const kind = field.type === 'json' ? 'JSON' : field.type;
  const message = `${field.name} (${where}, ${kind}${field.required ? '' : ', optional'})${field.description ? `: ${field.description}` : ''}`;
  const required = field.required;
  if (field.choices || field.type === 'boolean') {
    // Enter takes the first choice: "(leave out)" for an optional field (nothing is sent,
    // as for every other optional field); false for a required boolean.
    const values = field.choices ?? [false, true];
    const choices = [...(required ? [] : [{ value: undefined as unknown, name: '(leave out)' }]), ...values.map((v) => ({ value: v as unknown, name: String(v) }))];
    return ask(select({ message, choices }));
  }
  if (field.type === 'integer' || field.type === 'number') {
    return ask(number({ message, required, step: field.type === 'integer' ? 1 : 'any' }));
  }
  if (field.secret) {
    const value = await ask(password({ message, mask: '*', validate: (v) => !required || v !== '' || 'required' }));
    return value === '' ? undefined : value;
  }
  if (field.type === 'json') {
    const text = await ask(input({ message, required, validate: (v) => v.trim() === '' || isJson(v) || 'not valid JSON' }));
    return text.trim() === '' ? undefined : JSON.parse(text);
  }
  const text = await ask(input({ message, required }));
  return text === '' ? undefined : text;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
