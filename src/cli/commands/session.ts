// `evercycle-gateway login` / `logout`: sign the gateway in to Evercycle (POST /api/auth)
// or out (DELETE /api/auth); with --direct, without a running gateway, straight into its
// token store. The password never comes from argv (it would show in `ps` and the shell
// history): a prompt without echo, the first line of stdin, or EVERCYCLE_PASSWORD.
// Confirmations go to stderr; nothing secret is printed.
import { input, password as passwordPrompt } from '@inquirer/prompts';
import { Command, Option } from 'commander';
import { directSignIn, directSignOut } from '../direct-session.js';
import { CliError, runCommand } from '../errors.js';
import { answerError, GatewayClient, gatewayTarget } from '../gateway-client.js';
import { readFirstLine } from '../input.js';
import { gatewayOption } from '../options.js';
import { ask } from '../prompt.js';
import { usageErrorsExitTwo } from '../usage.js';

interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  direct?: boolean;
  gateway?: string;
}

export function sessionCommands(): Command[] {
  return [loginCommand(), logoutCommand()];
}

function directOption(what: string): Option {
  return new Option('--direct', what).conflicts('gateway');
}

function loginCommand(): Command {
  return usageErrorsExitTwo(new Command('login'))
    .description('sign the gateway in to Evercycle (POST /api/auth), or with --direct store tokens for a gateway started later')
    .option('-u, --username <name>', 'Evercycle username (default: EVERCYCLE_USERNAME, else a prompt)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .addOption(directOption('sign in to Evercycle itself (EVERCYCLE_BASE_URL) and write the tokens to the token store (EVERCYCLE_DATA_DIR)'))
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
The password comes from --password-stdin, else EVERCYCLE_PASSWORD, else a prompt that does
not echo (there is no --password option: argv shows in \`ps\` and shell history).
Through the gateway the API key must be an admin key (EVERCYCLE_GATEWAY_KEY).
--direct uses the gateway's settings (EVERCYCLE_BASE_URL, required; EVERCYCLE_DATA_DIR;
EVERCYCLE_SECRET_KEY) and needs no running gateway; it cannot sign in to the built-in
simulator, which keeps its sessions in the memory of a gateway process.

Examples:
  evercycle-gateway login --username user@example.com
  printf '%s\\n' "$PASSWORD" | evercycle-gateway login -u user@example.com --password-stdin
  EVERCYCLE_BASE_URL=https://api.evercycle.io evercycle-gateway login --direct -u you@company.com`,
    )
    .action((opts: LoginOptions) => runCommand(() => login(opts)));
}

function logoutCommand(): Command {
  return usageErrorsExitTwo(new Command('logout'))
    .description('make the gateway forget its Evercycle tokens (DELETE /api/auth), or with --direct delete the token file')
    .addOption(directOption('delete the token file in EVERCYCLE_DATA_DIR instead of asking a running gateway'))
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
Evercycle has no sign-out call: the tokens are forgotten, not revoked. A gateway with a
service account (EVERCYCLE_USERNAME/EVERCYCLE_PASSWORD) signs in again on its next call.
--direct only deletes the file: a gateway running now keeps the tokens it holds in memory.`,
    )
    .action((opts: { direct?: boolean; gateway?: string }) => runCommand(() => logout(opts)));
}

async function login(opts: LoginOptions): Promise<void> {
  // Check the target before asking for anything.
  const target = opts.direct ? undefined : gatewayTarget(opts.gateway);
  const { username, password } = await credentials(opts);
  if (!target) {
    const done = await directSignIn(username, password);
    process.stderr.write(`Signed in to Evercycle (${done.upstream}) as ${username}; tokens stored in ${done.file} for the gateway, valid ${done.expiresInS} s.\n`);
    return;
  }
  const client = new GatewayClient(target);
  try {
    const answer = await client.request('POST', '/api/auth', { body: { username, password } });
    if (answer.status !== 200) throw answerError(answer);
    process.stderr.write(`Signed in to Evercycle as ${username} through the gateway at ${target.url}.\n`);
  } finally {
    await client.close();
  }
}

async function logout(opts: { direct?: boolean; gateway?: string }): Promise<void> {
  if (opts.direct) {
    const done = await directSignOut();
    process.stderr.write(
      done.existed
        ? `Deleted the stored Evercycle tokens (${done.file}). A gateway running now still holds them in memory: sign it out with \`logout\` (without --direct).\n`
        : `No stored Evercycle tokens to delete (${done.file}).\n`,
    );
    return;
  }
  const target = gatewayTarget(opts.gateway);
  const client = new GatewayClient(target);
  try {
    const answer = await client.request('DELETE', '/api/auth');
    if (answer.status === 405) throw new CliError(`${answerError(answer).message} (this gateway is older than DELETE /api/auth: restart it to sign it out)`, 1, answer);
    if (answer.status !== 200) throw answerError(answer);
    const message = (answer.body as { message?: unknown } | undefined)?.message;
    process.stderr.write(`${typeof message === 'string' ? message : 'Signed out'} (gateway at ${target.url}).\n`);
  } finally {
    await client.close();
  }
}

/** Username and password from the options, the environment or prompts, never argv. */
async function credentials(opts: LoginOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ username: string; password: string }> {
  // Prompts need a terminal on stdin; they write to stderr, so stdout stays clean.
  const canPrompt = process.stdin.isTTY === true && opts.passwordStdin !== true;
  const context = { output: process.stderr };
  let username = opts.username ?? (env.EVERCYCLE_USERNAME || undefined);
  if (username === undefined) {
    if (!canPrompt) throw new CliError('no username: give --username or set EVERCYCLE_USERNAME', 2);
    username = await ask(input({ message: 'Evercycle username:', required: true }, context));
  }
  username = username.trim();
  if (username === '') throw new CliError('the username is empty', 2);

  let password: string | undefined;
  if (opts.passwordStdin) {
    // At a terminal the typed line would be echoed: the prompt is the way there.
    if (process.stdin.isTTY) throw new CliError('--password-stdin reads a pipe; at a terminal leave it out to be prompted without echo', 2);
    password = await readFirstLine();
    if (password === '') throw new CliError('--password-stdin: the first line of stdin is empty', 2);
  } else if (env.EVERCYCLE_PASSWORD) {
    password = env.EVERCYCLE_PASSWORD;
  } else if (canPrompt) {
    password = await ask(passwordPrompt({ message: `Password for ${username}:`, validate: (v) => v !== '' || 'the password is empty' }, context));
  } else {
    throw new CliError('no password: use --password-stdin, set EVERCYCLE_PASSWORD, or run in a terminal to be prompted', 2);
  }
  return { username, password };
}
