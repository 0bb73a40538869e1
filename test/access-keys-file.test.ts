// The keys file (API_KEYS_FILE): what a valid one looks like, every way one is refused
// (with a message naming the file and the problem, never a hash or key), and the edits
// `keys create` / `keys revoke` make. A gateway given a bad file does not start.
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, hashKey } from '../src/access/keys.js';
import { addKey, emptyKeysFile, KeyEditError, KeysFileError, parseKeysFile, removeKey, serializeKeysFile } from '../src/access/keys-file.js';
import { loadSettings } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { LogCapture, REPO_ROOT, tempDir } from './helpers/stack.js';

const FILE = '/etc/evercycle/keys.json';
const hash = hashKey(generateKey());
const entry = (over: Record<string, unknown> = {}) => ({ name: 'ci', role: 'read', hash, created_at: '2025-03-01T10:00:00.000Z', ...over });
const text = (content: unknown) => JSON.stringify(content);

describe('parseKeysFile: valid files', () => {
  it('reads names, roles, hashes, API lists and creation times', () => {
    const parsed = parseKeysFile(text({ version: 1, keys: [entry(), entry({ name: 'ops', role: 'admin', hash: hashKey(generateKey()), apis: ['get-all'] })] }), FILE);
    expect(parsed.keys).toHaveLength(2);
    expect(parsed.keys[1]).toMatchObject({ name: 'ops', role: 'admin', apis: ['get-all'] });
  });

  it('an empty key list is valid (every request but /health and /ready is refused)', () => {
    expect(parseKeysFile(text({ version: 1, keys: [] }), FILE).keys).toEqual([]);
  });

  it('what serializeKeysFile writes parses back to the same content', () => {
    const content = addKey(emptyKeysFile(), { name: 'x', role: 'write', hash, createdAt: new Date('2025-01-01T00:00:00Z') });
    expect(parseKeysFile(serializeKeysFile(content), FILE)).toEqual(content);
  });
});

describe('parseKeysFile: refused files name the file and the problem', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"version": 1, "keys": [', /not valid JSON/],
    ['an empty file', '', /not valid JSON/],
    ['a JSON array', '[]', /expected object/i],
    ['no version', text({ keys: [] }), /version: must be 1/],
    ['an unknown version', text({ version: 2, keys: [] }), /version: must be 1/],
    ['no key list', text({ version: 1 }), /keys: must be a list/],
    ['an unknown top-level field', text({ version: 1, keys: [], extra: true }), /unknown field "extra"/],
    ['an unknown role', text({ version: 1, keys: [entry({ role: 'superuser' })] }), /keys\[0\]\.role: must be one of admin, write, read/],
    ['a missing role', text({ version: 1, keys: [entry({ role: undefined })] }), /keys\[0\]\.role: must be one of/],
    ['a duplicate name', text({ version: 1, keys: [entry(), entry({ hash: hashKey(generateKey()) })] }), /keys\[1\]\.name: duplicate name 'ci' \(also keys\[0\]\)/],
    ['a duplicate name in another case', text({ version: 1, keys: [entry(), entry({ name: 'CI', hash: hashKey(generateKey()) })] }), /duplicate name 'CI'/],
    ['the same hash under two names', text({ version: 1, keys: [entry(), entry({ name: 'other' })] }), /keys\[1\]\.hash: the same key as keys\[0\]/],
    ['a name with spaces', text({ version: 1, keys: [entry({ name: 'my key' })] }), /keys\[0\]\.name: must match/],
    ['an empty name', text({ version: 1, keys: [entry({ name: '' })] }), /keys\[0\]\.name: must match/],
    ['a hash without its prefix', text({ version: 1, keys: [entry({ hash: hash.slice(7) })] }), /keys\[0\]\.hash: must be "sha256:"/],
    ['a hash of the wrong length', text({ version: 1, keys: [entry({ hash: hash.slice(0, -2) })] }), /keys\[0\]\.hash: must be/],
    ['an upper-case hash', text({ version: 1, keys: [entry({ hash: `sha256:${hash.slice(7).toUpperCase()}` })] }), /keys\[0\]\.hash: must be/],
    ['an empty API list', text({ version: 1, keys: [entry({ apis: [] })] }), /keys\[0\]\.apis: must list at least one/],
    ['an API list that is a string', text({ version: 1, keys: [entry({ apis: 'get-all' })] }), /keys\[0\]\.apis: must be a list/],
    ['an API name with a slash', text({ version: 1, keys: [entry({ apis: ['../x'] })] }), /keys\[0\]\.apis\[0\]: must be an API name/],
    ['a typo "api" for "apis" (would silently allow every API)', text({ version: 1, keys: [entry({ api: ['get-all'] })] }), /keys\[0\]: unknown field "api"/],
    ['a bad creation time', text({ version: 1, keys: [entry({ created_at: 'yesterday' })] }), /keys\[0\]\.created_at: must be an ISO 8601/],
    ['a missing creation time', text({ version: 1, keys: [entry({ created_at: undefined })] }), /keys\[0\]\.created_at/],
  ];
  it.each(cases)('%s', (_name, content, problem) => {
    let error: unknown;
    try {
      parseKeysFile(content, FILE);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeysFileError);
    expect((error as Error).message).toContain(`keys file ${FILE}: `);
    expect((error as Error).message).toMatch(problem);
  });

  it('a raw key pasted where the hash belongs is refused without being echoed', () => {
    const key = generateKey();
    expect(() => parseKeysFile(text({ version: 1, keys: [entry({ hash: key })] }), FILE)).toThrow(/hash: must be/);
    try {
      parseKeysFile(text({ version: 1, keys: [entry({ hash: key })] }), FILE);
    } catch (err) {
      expect((err as Error).message).not.toContain(key);
      expect((err as Error).message).not.toContain(key.slice(4, 20));
    }
  });

  it('every problem is listed, not only the first', () => {
    expect(() => parseKeysFile(text({ version: 1, keys: [entry({ role: 'x' }), entry({ name: 'b c', hash: 'nope' })] }), FILE)).toThrow(
      /keys\[0\]\.role.*keys\[1\]\.name.*keys\[1\]\.hash/,
    );
  });
});

describe('addKey and removeKey', () => {
  const at = new Date('2025-05-05T05:05:05.000Z');
  it('adds an entry with its role, API list (de-duplicated) and ISO creation time', () => {
    const next = addKey(emptyKeysFile(), { name: 'kiosk', role: 'read', apis: ['get-asset-id', 'get-asset-id'], hash, createdAt: at });
    expect(next.keys).toEqual([{ name: 'kiosk', role: 'read', hash, apis: ['get-asset-id'], created_at: '2025-05-05T05:05:05.000Z' }]);
  });
  it('refuses a duplicate name (any case), naming the existing key', () => {
    const one = addKey(emptyKeysFile(), { name: 'kiosk', role: 'read', hash, createdAt: at });
    expect(() => addKey(one, { name: 'KIOSK', role: 'write', hash: hashKey(generateKey()), createdAt: at })).toThrow(
      new KeyEditError("a key named 'kiosk' already exists; revoke it first or choose another name"),
    );
  });
  it('refuses an invalid name or API name', () => {
    expect(() => addKey(emptyKeysFile(), { name: 'a b', role: 'read', hash, createdAt: at })).toThrow(KeyEditError);
    expect(() => addKey(emptyKeysFile(), { name: 'ok', role: 'read', apis: ['Get All'], hash, createdAt: at })).toThrow(KeyEditError);
  });
  it('removes by name; an unknown name is an error', () => {
    const one = addKey(emptyKeysFile(), { name: 'kiosk', role: 'read', hash, createdAt: at });
    expect(removeKey(one, 'kiosk').keys).toEqual([]);
    expect(() => removeKey(one, 'other')).toThrow(new KeyEditError("no key named 'other'"));
  });
});

describe('a gateway given a bad keys file does not start', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('evgw-keysfile-');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function startWith(file: string): Promise<unknown> {
    const settings = loadSettings(
      { EVERCYCLE_BASE_URL: 'http://127.0.0.1:9', EVERCYCLE_DATA_DIR: path.join(dir, 'data'), API_KEYS_FILE: file, LOG_LEVEL: 'info' },
      REPO_ROOT,
    );
    try {
      const gw = await createGateway(settings, { logger: createLogger({ level: 'info', destination: new LogCapture() }) });
      await gw.close();
      return undefined;
    } catch (err) {
      return err;
    }
  }

  it('a missing file: names it and says how to create a key', async () => {
    const file = path.join(dir, 'missing.json');
    const err = await startWith(file);
    expect((err as Error).message).toBe(
      `keys file ${file}: does not exist; create a key with \`evercycle-gateway keys create --name <name> --role <admin|write|read>\``,
    );
  });

  it('a malformed file: names it and the problem', async () => {
    const file = path.join(dir, 'bad-role.json');
    await writeFile(file, text({ version: 1, keys: [entry({ role: 'root' })] }), { mode: 0o600 });
    expect((await startWith(file)) as Error).toMatchObject({ message: expect.stringContaining(`keys file ${file}: keys[0].role: must be one of admin, write, read`) });
  });

  it('a duplicate name: names it', async () => {
    const file = path.join(dir, 'dup.json');
    await writeFile(file, text({ version: 1, keys: [entry(), entry({ hash: hashKey(generateKey()) })] }), { mode: 0o600 });
    expect(((await startWith(file)) as Error).message).toMatch(/duplicate name 'ci'/);
  });

  it('a folder where the file should be: names it', async () => {
    expect(((await startWith(dir)) as Error).message).toMatch(new RegExp(`keys file ${dir}: cannot be read \\(EISDIR\\)`));
  });

  it('a valid file readable by others (0644): names the file and the fix', async () => {
    const file = path.join(dir, 'open.json');
    await writeFile(file, text({ version: 1, keys: [entry()] }));
    await chmod(file, 0o644);
    expect(((await startWith(file)) as Error).message).toBe(
      `the keys file (API_KEYS_FILE) ${file} is accessible to other users (mode 0644): run \`chmod 600 ${file}\``,
    );
  });

  it('the same file once 0600: starts', async () => {
    const file = path.join(dir, 'open.json');
    await chmod(file, 0o600);
    expect(await startWith(file)).toBeUndefined();
  });
});
