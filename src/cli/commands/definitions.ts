// `evercycle-gateway definitions validate|from-markdown|from-openapi`: check a folder of API
// definition files, or generate definition files from markdown specifications or an
// OpenAPI 3 document. The parsing is pure (src/definitions/from-*.ts); this file reads the
// inputs, writes the files and reports. stdout: what is OK or was written; stderr: problems.
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { loadSettings, SettingsError } from '../../config.js';
import {
  apiNameProblem,
  DefinitionCollector,
  DefinitionError,
  definitionsFromMarkdown,
  definitionsFromOpenApi,
  HTTP_METHODS,
  loadDefinitions,
  OpenApiInputError,
  type GeneratedDefinition,
} from '../../definitions/index.js';
import { CliError, runCommand } from '../errors.js';
import { usageErrorsExitTwo } from '../usage.js';

interface WriteOptions {
  out: string;
  force: boolean;
}

export function definitionsCommand(): Command {
  // Subcommands made with .command() inherit the exit override: usage errors exit 2.
  const definitions = usageErrorsExitTwo(new Command('definitions')).description(
    'check API definition files, or generate them from markdown specifications or an OpenAPI document',
  );

  definitions
    .command('validate')
    .description('check every definition file of a folder; print each problem with its file and field')
    .argument('[dir]', 'the definitions folder (default: EVERCYCLE_APIS_DIR, else the shipped apis/)')
    .addHelpText(
      'after',
      '\nExit status: 0 when every file is valid (a one-line summary on stdout); 1 with one line per\n' +
        'problem on stderr, as `file: field: message`. The check is the one the gateway applies at start-up.',
    )
    .action((dir: string | undefined) => runCommand(() => validate(dir)));

  definitions
    .command('from-markdown')
    .description('generate definition files from markdown API specifications')
    .argument('<spec...>', "markdown files ('-' reads stdin)")
    .requiredOption('--out <dir>', 'folder to write the <name>.json files to (created when missing)')
    .option('--force', 'overwrite existing files', false)
    .option('--name-map <file>', 'JSON object naming endpoints: {"GET /v1/asset/{id}": "get-asset-id", ...}')
    .addHelpText('after', MARKDOWN_HELP)
    .action((specs: string[], opts: WriteOptions & { nameMap?: string }) => runCommand(() => fromMarkdown(specs, opts)));

  definitions
    .command('from-openapi')
    .description('generate definition files from an OpenAPI 3.0/3.1 document (JSON)')
    .argument('<file>', "the document ('-' reads stdin), e.g. a gateway's /openapi.json")
    .requiredOption('--out <dir>', 'folder to write the <name>.json files to (created when missing)')
    .option('--force', 'overwrite existing files', false)
    .addHelpText('after', OPENAPI_HELP)
    .action((file: string, opts: WriteOptions) => runCommand(() => fromOpenApi(file, opts)));

  return definitions;
}

const WRITE_RULES =
  'Every generated definition is checked as the gateway checks it; an invalid one is reported,\n' +
  'never written. Existing files are not overwritten without --force: they are listed and\n' +
  'nothing is written. What could be converted is written even when something else could not;\n' +
  'the exit status is then 1, with every problem on stderr. Exit status 2: a usage error or an\n' +
  'unreadable input.';

const MARKDOWN_HELP = `
An endpoint starts at a line with its path, or method and path, optionally a heading:
  /v1/asset/{id}        GET /v1/asset/{id}        ### GET /v1/asset/{id}
  ## get-asset-id: GET /v1/asset/{id}             ## GET /v1/asset/{id} (get-asset-id)
followed by fields (plain, bulleted or bold labels):
  Method: GET                                  URL: https://api.evercycle.io/v1/asset/{id}
  Description: Get an Asset                    Headers: Authorization, access-token
  Path Parameters: id (number), grade (string)  Query Parameters: page_num, per_page (integer)
  Body Fields: *username(string) *password(string)   ("*" or "(required)": required)
  Response: ...  (ignored)
Lists may also be one bullet per item (\`- price (number, required) - New price\`) or a table
(name, type, required and description columns). Without Authorization or access-token among
the Headers, the definition gets "auth": false. Number path parameters become "integer".

Names: --name-map, else the name in the heading, else derived from method and path: a verb
(get, edit for PUT, update for PATCH, delete; none for POST) and the path's segments without
the version: GET /v1/asset/{id} -> get-asset-id, POST /v1/auth/signin -> auth-signin.

${WRITE_RULES}

Example:
  evercycle-gateway definitions from-markdown docs/*.md --out apis-new
  evercycle-gateway definitions validate apis-new
`;

const OPENAPI_HELP = `
The gateway's own document (GET /openapi.json) gives back its definitions exactly (name,
upstream method and path, description, parameter types, query parameters, body schema,
auth; not timeouts or retry settings); its own endpoints (/health, /api/auth, ...) are
passed over. Any other document: one definition per operation, named from its operationId
(getAssetById -> get-asset-by-id) or, without one, from method and path; path = the server
URL's path + the operation's path; the JSON request body's schema with local $refs inlined.

${WRITE_RULES}

Example:
  curl -s http://127.0.0.1:5000/openapi.json | evercycle-gateway definitions from-openapi - --out apis-copy
`;

// ---- validate ----

async function validate(dir: string | undefined): Promise<void> {
  const folder = dir ?? apisDirFromSettings();
  try {
    const set = await loadDefinitions(folder);
    const count = set.list().length;
    process.stdout.write(`${count} definition${count === 1 ? '' : 's'} OK in ${folder}\n`);
  } catch (err) {
    if (!(err instanceof DefinitionError)) throw err;
    for (const p of err.problems) process.stderr.write(`${p.file}: ${p.field ? `${p.field}: ` : ''}${p.message}\n`);
    const files = new Set(err.problems.map((p) => p.file)).size;
    throw new CliError(`${plural(err.problems.length, 'problem')} in ${plural(files, 'file')}; the gateway would not start with ${folder}`);
  }
}

function apisDirFromSettings(): string {
  try {
    return loadSettings().apisDir;
  } catch (err) {
    if (err instanceof SettingsError) throw new CliError(`${err.message}\n(or name the folder: definitions validate <dir>)`, 2);
    throw err;
  }
}

// ---- from-markdown ----

async function fromMarkdown(specs: string[], opts: WriteOptions & { nameMap?: string }): Promise<void> {
  const names = opts.nameMap === undefined ? undefined : await readNameMap(opts.nameMap);
  const collector = new DefinitionCollector();
  const problems: string[] = [];
  for (const spec of specs) {
    const file = spec === '-' ? '<stdin>' : spec;
    const result = definitionsFromMarkdown(await readInput(spec), { ...(names ? { names } : {}), collector, file });
    problems.push(...result.problems.map((p) => `${file}:${p.line}: ${p.message}`));
  }
  if (names) {
    const endpoints = new Set(collector.definitions.map((d) => `${d.json.method} ${d.json.path}`));
    for (const key of names.keys()) if (!endpoints.has(key)) problems.push(`${opts.nameMap}: "${key}" names no endpoint that was converted`);
  }
  await finish(collector.definitions, problems, opts);
}

/** The --name-map file: {"GET /v1/asset/{id}": "get-asset-id"}; anything else is a usage error. */
async function readNameMap(file: string): Promise<Map<string, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readInput(file));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--name-map ${file}: not JSON: ${(err as Error).message}`, 2);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CliError(`--name-map ${file}: expected a JSON object {"GET /v1/asset/{id}": "get-asset-id", ...}`, 2);
  const endpoint = new RegExp(`^(${HTTP_METHODS.join('|')}) /\\S*$`);
  const bad: string[] = [];
  const names = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    if (!endpoint.test(key)) bad.push(`${JSON.stringify(key)}: expected "METHOD /path"`);
    else if (typeof value !== 'string' || apiNameProblem(value)) bad.push(`${JSON.stringify(key)}: ${typeof value === 'string' ? apiNameProblem(value) : 'the name must be a string'}`);
    else names.set(key, value);
  }
  if (bad.length > 0) throw new CliError(`--name-map ${file}:\n  ${bad.join('\n  ')}`, 2);
  return names;
}

// ---- from-openapi ----

async function fromOpenApi(file: string, opts: WriteOptions): Promise<void> {
  const label = file === '-' ? '<stdin>' : file;
  const text = await readInput(file);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const yaml = /^\s*(openapi|swagger)\s*:/m.test(text) ? ' (YAML is not read: convert the document to JSON)' : '';
    throw new CliError(`${label}: not JSON: ${(err as Error).message}${yaml}`, 2);
  }
  let result;
  try {
    result = definitionsFromOpenApi(doc);
  } catch (err) {
    if (err instanceof OpenApiInputError) throw new CliError(`${label}: ${err.message}`, 2);
    throw err;
  }
  if (result.ignored.length > 0) process.stderr.write(`note: the gateway's own endpoints are not APIs and were passed over: ${result.ignored.join(', ')}\n`);
  await finish(
    result.definitions,
    result.problems.map((p) => `${label}: ${p.operation}: ${p.message}`),
    opts,
  );
}

// ---- Shared: input, writing, the outcome ----

/** A file's text, or stdin's for '-'; an unreadable input is a usage error. */
async function readInput(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
  } catch (err) {
    const reason = err instanceof TypeError ? 'not valid UTF-8' : (err as Error).message;
    throw new CliError(`cannot read ${file === '-' ? 'stdin' : file}: ${reason}`, 2);
  }
}

/** Report the problems, write the definitions (all or none), exit 1 when anything was reported. */
async function finish(definitions: readonly GeneratedDefinition[], problems: readonly string[], opts: WriteOptions): Promise<void> {
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (definitions.length === 0) throw new CliError(`nothing to write${problems.length > 0 ? ` (${plural(problems.length, 'problem')} above)` : ''}`);
  await writeDefinitions(definitions, opts);
  if (problems.length > 0) {
    throw new CliError(`${plural(problems.length, 'problem')} (above); ${plural(definitions.length, 'definition')} written to ${opts.out}`);
  }
}

async function writeDefinitions(definitions: readonly GeneratedDefinition[], opts: WriteOptions): Promise<void> {
  const targets = definitions.map((d) => ({ definition: d, file: path.join(opts.out, `${d.name}.json`) }));
  if (!opts.force) {
    const existing = (await Promise.all(targets.map(async (t) => ((await exists(t.file)) ? t.file : undefined)))).filter((f) => f !== undefined);
    if (existing.length > 0) {
      throw new CliError(`${plural(existing.length, 'file')} already exist${existing.length === 1 ? 's' : ''}, nothing written (--force overwrites):\n  ${existing.join('\n  ')}`);
    }
  }
  try {
    await mkdir(opts.out, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create ${opts.out}: ${(err as Error).message}`);
  }
  for (const { definition, file } of targets) {
    // 'wx' without --force: a file that appeared since the check is still not overwritten.
    await writeFile(file, `${JSON.stringify(definition.json, null, 2)}\n`, { flag: opts.force ? 'w' : 'wx' });
    process.stdout.write(`wrote ${file} (${definition.json.method} ${definition.json.path})\n`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
