// `evercycle-gateway call <api> [pathParam...]`: one API call through a running gateway.
// stdout gets the answer's `data` as pretty JSON (or, with --raw, the whole envelope), so
// it can be piped to jq; errors go to stderr and the exit code says what happened:
// 0 success, 1 the call failed (HTTP error, unreachable gateway, unknown API),
// 2 the command was used wrongly (bad --data or --query), before anything is sent.
import { Command } from 'commander';
import { CliError, runCommand } from '../errors.js';
import { GatewayClient, gatewayTarget, type GatewayAnswer, type ListedApi } from '../gateway-client.js';
import { collectQuery, readDataOption } from '../input.js';
import { gatewayOption } from '../options.js';
import { printJson } from '../output.js';
import { usageErrorsExitTwo } from '../usage.js';

interface CallOptions {
  query: [string, string][];
  data?: string;
  raw?: boolean;
  gateway?: string;
}

export function callCommand(): Command {
  return usageErrorsExitTwo(new Command('call'))
    .description("call an API through the gateway and print the answer's data as JSON")
    .argument('<api>', 'API name (see `evercycle-gateway list`)')
    .argument('[pathParam...]', "path parameters, in the order of the API's path ({id}, {grade}, ...)")
    .option('-q, --query <name=value>', 'query parameter; repeat for more (the value may contain "=")', collectQuery, [])
    .option('-d, --data <json>', "request body: inline JSON, @file.json, or - to read it from stdin")
    .option('--raw', 'print the whole answer envelope ({"status","data"} or the error) instead of its data')
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
Examples:
  evercycle-gateway call get-asset-id 42
  evercycle-gateway call get-all --query page_num=1 --query per_page=5
  evercycle-gateway call grade 1 B --data '{"price": 480}'
  evercycle-gateway call create --data @asset.json
  jq -n '{asset_ids: [42, 43], request_type: "pickup"}' | evercycle-gateway call create-request --data -

The HTTP method is the API's own (looked up with GET /api/list). Exit codes: 0 success,
1 the call failed (the gateway's status and message on stderr), 2 invalid usage.`,
    )
    .action((api: string, pathParams: string[], opts: CallOptions) => runCommand(() => call(api, pathParams, opts)));
}

async function call(name: string, pathParams: string[], opts: CallOptions): Promise<void> {
  // Everything the user gave is checked before the first request.
  const target = gatewayTarget(opts.gateway);
  const data = opts.data === undefined ? undefined : await readDataOption(opts.data);
  const client = new GatewayClient(target);
  try {
    const api = findApi(await client.listApis(), name);
    checkPathParams(api, pathParams);
    if (data !== undefined && (api.method === 'GET' || api.method === 'HEAD')) {
      throw new CliError(`${api.name} is a ${api.method} API: it takes no body (give parameters with --query)`, 2);
    }
    let answer: GatewayAnswer;
    try {
      answer = await client.call(api.method, api.name, { pathParams, query: opts.query, data });
    } catch (err) {
      if (err instanceof CliError && err.answer) {
        if (opts.raw) await printJson(err.answer.body ?? null);
        throw new CliError(`${err.message}${fieldErrors(err.answer)}${signInHint(err.answer)}`, 1, err.answer);
      }
      throw err;
    }
    const body = answer.body as { data?: unknown } | undefined;
    await printJson(opts.raw ? (answer.body ?? null) : (body?.data ?? null));
  } finally {
    await client.close();
  }
}

/** The listed API of that name, or an error that says so and points at `list`. */
function findApi(apis: readonly ListedApi[], name: string): ListedApi {
  const api = apis.find((a) => a.name === name);
  if (api) return api;
  const wanted = name.toLowerCase();
  const near = apis.map((a) => a.name).filter((n) => editDistance(n, wanted) <= 2 || (wanted.length >= 3 && n.includes(wanted)));
  const hint = near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : '';
  throw new CliError(`the gateway has no API named '${name}'${hint}; run \`evercycle-gateway list\` to see them`);
}

/** As many path parameters as the API's path has placeholders, else a usage error (exit 2) before anything is sent. */
function checkPathParams(api: ListedApi, given: readonly string[]): void {
  const names = [...api.path.matchAll(/\{([^}/]+)\}/g)].map((m) => m[1]!);
  if (given.length === names.length) return;
  const usage = `evercycle-gateway call ${api.name}${names.map((n) => ` <${n}>`).join('')}`;
  const takes = names.length === 0 ? 'takes no path parameter' : `takes ${names.length} path parameter${names.length === 1 ? '' : 's'} (${names.map((n) => `{${n}}`).join(', ')})`;
  throw new CliError(`${api.name} ${takes}, ${given.length} given: ${usage}`, 2);
}

/** The per-field problems of a 400 (body schema), one per line after the message. */
function fieldErrors(answer: GatewayAnswer): string {
  const errors = (answer.body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return '';
  return errors
    .filter((e): e is { field: string; message: string } => typeof e?.field === 'string' && typeof e?.message === 'string')
    .map((e) => `\n  ${e.field || '(body)'}: ${e.message}`)
    .join('');
}

/** The gateway holds no Evercycle session: say how to give it one. */
function signInHint(answer: GatewayAnswer): string {
  const message = (answer.body as { message?: unknown } | undefined)?.message;
  return answer.status === 401 && typeof message === 'string' && message.includes('POST /api/auth') ? '\n(sign the gateway in with `evercycle-gateway login`)' : '';
}

/** Levenshtein distance, for "did you mean" (API names are short). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
