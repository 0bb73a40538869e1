// `evercycle-gateway keys create|list|revoke`: manage the client API keys file.
// A new key is printed once on stdout (so `KEY=$(evercycle-gateway keys create ...)`
// works) and only its hash is stored; messages for the operator go to stderr.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadSettings, SettingsError } from '../config.js';
import { generateKey, hashKey } from '../access/keys.js';
import { addKey, KeyEditError, KeysFileError, removeKey } from '../access/keys-file.js';
import { readKeysFile, readKeysFileOrEmpty, writeKeysFile } from '../access/keys-store.js';
import { ROLES, type Role } from '../access/roles.js';
import { API_NAME_PATTERN } from '../definitions/types.js';

const RESTART_HINT = 'The gateway reads its keys at start-up: restart it for the change to take effect.';

/** A refused command: its message is printed on stderr and the exit code is 1. */
class KeysCommandError extends Error {}

export function keysCommand(): Command {
  const keys = new Command('keys').description('manage client API keys (the API_KEYS_FILE file holds only their hashes)');
  const fileOption = () => new Option('--file <path>', 'keys file (default: API_KEYS_FILE)');

  keys
    .command('create')
    .description('create a key, print it once on stdout, store only its hash')
    .requiredOption('--name <name>', 'unique name of the client (letters, digits, . _ @ -), shown in logs')
    .addOption(new Option('--role <role>', 'what the key may do: admin (everything, incl. /api/auth), write (every API), read (GET APIs)').choices(ROLES).makeOptionMandatory())
    .option('--apis <names>', 'comma-separated API names: the only APIs the key may call (default: all its role allows)')
    .addOption(fileOption())
    .action((opts: { name: string; role: Role; apis?: string; file?: string }) =>
      run(async () => {
        const file = keysFileFrom(opts.file);
        const apis = opts.apis === undefined ? undefined : apiList(opts.apis);
        const key = generateKey();
        const next = addKey(await readKeysFileOrEmpty(file), { name: opts.name, role: opts.role, apis, hash: hashKey(key), createdAt: new Date() });
        await writeKeysFile(file, next);
        process.stdout.write(`${key}\n`);
        process.stderr.write(
          `Created key '${opts.name}' (role ${opts.role}${apis ? `, APIs ${apis.join(', ')}` : ''}) in ${file}.\n` +
            `It is shown only this once: store it now. Clients send it as "Authorization: Bearer <key>" or "X-API-Key: <key>".\n${RESTART_HINT}\n`,
        );
      }),
    );

  keys
    .command('list')
    .description('list the keys: name, role, APIs, creation time (never the keys)')
    .option('--json', 'print JSON instead of a table', false)
    .addOption(fileOption())
    .action((opts: { json: boolean; file?: string }) =>
      run(async () => {
        const file = keysFileFrom(opts.file);
        const content = await readKeysFile(file);
        if (content === null) throw new KeysCommandError(`keys file ${file} does not exist; create a key with \`keys create\``);
        await warnIfShared(file);
        const rows = content.keys.map((k) => ({ name: k.name, role: k.role, apis: k.apis ?? null, created_at: k.created_at }));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stderr.write(`no keys in ${file}\n`);
          return;
        }
        process.stdout.write(table([['NAME', 'ROLE', 'APIS', 'CREATED'], ...rows.map((r) => [r.name, r.role, r.apis?.join(',') ?? '(all)', r.created_at])]));
      }),
    );

  keys
    .command('revoke')
    .description('delete a key by name')
    .requiredOption('--name <name>', 'name of the key to delete')
    .addOption(fileOption())
    .action((opts: { name: string; file?: string }) =>
      run(async () => {
        const file = keysFileFrom(opts.file);
        const content = await readKeysFile(file);
        if (content === null) throw new KeysCommandError(`keys file ${file} does not exist`);
        await writeKeysFile(file, removeKey(content, opts.name));
        process.stderr.write(`Revoked key '${opts.name}' in ${file}.\n${RESTART_HINT}\n`);
      }),
    );
  return keys;
}

async function run(task: () => Promise<void>): Promise<void> {
  try {
    await task();
  } catch (err) {
    if (err instanceof KeysCommandError || err instanceof KeyEditError || err instanceof KeysFileError) {
      process.stderr.write(`error: ${err.message}\n`);
    } else {
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
    process.exitCode = 1;
  }
}

/** --file, else API_KEYS_FILE. */
function keysFileFrom(option: string | undefined): string {
  if (option !== undefined) {
    if (option.trim() === '') throw new KeysCommandError('--file must not be empty');
    return path.resolve(option);
  }
  let file: string | undefined;
  try {
    file = loadSettings().keysFile;
  } catch (err) {
    if (err instanceof SettingsError) throw new KeysCommandError(`${err.message}\n(or pass the keys file with --file <path>)`);
    throw err;
  }
  if (!file) throw new KeysCommandError('no keys file: pass --file <path> or set API_KEYS_FILE');
  return path.resolve(file);
}

function apiList(value: string): string[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new KeysCommandError('--apis must list at least one API name (leave it out to allow every API)');
  const bad = names.filter((n) => !API_NAME_PATTERN.test(n));
  if (bad.length > 0) throw new KeysCommandError(`--apis: not an API name: ${bad.map((n) => JSON.stringify(n)).join(', ')}`);
  return [...new Set(names)];
}

async function warnIfShared(file: string): Promise<void> {
  const mode = (await stat(file)).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    process.stderr.write(`warning: ${file} is accessible to other users (mode ${mode.toString(8).padStart(4, '0')}); the gateway refuses to start with it: run \`chmod 600 ${file}\`\n`);
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}
