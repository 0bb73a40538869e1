// Environment -> settings: documented defaults, and every invalid value refused with a
// SettingsError that names the variable (and never shows a secret).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, SETTINGS, settingsTable, SettingsError } from '../src/config.js';
import { REPO_ROOT } from './helpers/stack.js';

const CWD = '/srv/evercycle-gateway';

function refusal(env: Record<string, string>): SettingsError {
  try {
    loadSettings(env, CWD);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const s = loadSettings({}, CWD);
    expect(s).toMatchObject({
      port: 5000,
      host: '127.0.0.1',
      baseUrl: undefined,
      // The package's own definitions, wherever it is started from.
      apisDir: path.join(REPO_ROOT, 'apis'),
      dataDir: path.join(CWD, 'data'),
      username: undefined,
      password: undefined,
      tokenSkewS: 60,
      signinPath: '/v1/auth/signin',
      refreshPath: '/v1/auth/refresh',
      timeoutMs: 30_000,
      bodyLimitBytes: 1_048_576,
      logLevel: 'info',
    });
  });

  it('empty strings count as unset (FOO= in a service file)', () => {
    const s = loadSettings({ PORT: '', LOG_LEVEL: '', EVERCYCLE_BASE_URL: '', EVERCYCLE_TOKEN_SKEW_S: '', EVERCYCLE_USERNAME: '', EVERCYCLE_PASSWORD: '' }, CWD);
    expect(s.port).toBe(5000);
    expect(s.logLevel).toBe('info');
    expect(s.baseUrl).toBeUndefined();
    expect(s.tokenSkewS).toBe(60);
    expect(s.username).toBeUndefined();
  });

  it('reads every variable it documents', () => {
    const s = loadSettings(
      {
        PORT: '8080',
        HOST: '0.0.0.0',
        EVERCYCLE_BASE_URL: 'https://api.evercycle.io/',
        EVERCYCLE_APIS_DIR: 'conf/apis',
        EVERCYCLE_DATA_DIR: '/var/lib/evgw',
        EVERCYCLE_USERNAME: 'svc@example.com',
        EVERCYCLE_PASSWORD: 'pw',
        EVERCYCLE_TOKEN_SKEW_S: '0',
        EVERCYCLE_TIMEOUT_MS: '2500',
        BODY_LIMIT_BYTES: '2048',
        LOG_LEVEL: 'debug',
      },
      CWD,
    );
    expect(s).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      baseUrl: 'https://api.evercycle.io', // trailing slash dropped
      apisDir: path.join(CWD, 'conf/apis'), // relative to the working directory
      dataDir: '/var/lib/evgw',
      username: 'svc@example.com',
      password: 'pw',
      tokenSkewS: 0,
      timeoutMs: 2500,
      bodyLimitBytes: 2048,
      logLevel: 'debug',
    });
  });

  it('PORT=0 is allowed (any free port)', () => {
    expect(loadSettings({ PORT: '0' }, CWD).port).toBe(0);
  });

  it('the settings table (README, --help) lists every variable with its default', () => {
    const table = settingsTable();
    for (const spec of Object.values(SETTINGS)) expect(table).toContain(`\`${spec.env}\``);
    expect(table).toContain('`5000`');
    expect(table).toContain('`1048576`');
  });
});

describe('invalid values refuse to load, naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', ' '],
    ['PORT', '0x1F90'],
    ['PORT', '8e3'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO '],
    ['EVERCYCLE_BASE_URL', 'api.evercycle.io'],
    ['EVERCYCLE_BASE_URL', 'not a url'],
    ['EVERCYCLE_BASE_URL', 'ftp://api.evercycle.io'],
    ['EVERCYCLE_BASE_URL', 'file:///etc/passwd'],
    ['EVERCYCLE_BASE_URL', 'https://api.evercycle.io/?debug=1'],
    ['EVERCYCLE_BASE_URL', 'https://api.evercycle.io/#x'],
    ['EVERCYCLE_TOKEN_SKEW_S', '-5'],
    ['EVERCYCLE_TOKEN_SKEW_S', 'sixty'],
    ['EVERCYCLE_TOKEN_SKEW_S', '1.5'],
    ['EVERCYCLE_TOKEN_SKEW_S', ' '],
    ['EVERCYCLE_TIMEOUT_MS', '0'],
    ['EVERCYCLE_TIMEOUT_MS', 'Infinity'],
    ['BODY_LIMIT_BYTES', '0'],
    ['BODY_LIMIT_BYTES', '1MB'],
    ['EVERCYCLE_REFRESH_PATH', 'v1/auth/refresh'],
    ['EVERCYCLE_REDIS_URL', 'http://127.0.0.1:6379'],
    ['EVERCYCLE_REDIS_URL', 'redis:/127.0.0.1:6379'],
    ['EVERCYCLE_REDIS_URL', 'redis:///0'],
    ['EVERCYCLE_REDIS_URL', 'redis://127.0.0.1:6379/abc'],
    ['EVERCYCLE_REDIS_URL', 'redis://127.0.0.1:6379/0#x'],
    ['WORKERS', '0'],
    ['WORKERS', '65'],
  ])('%s=%j', (name, value) => {
    const env: Record<string, string> = { [name]: value };
    // WORKERS above 1 needs Redis: give it one, so the only problem is the value under test.
    if (name === 'WORKERS') env.EVERCYCLE_REDIS_URL = 'redis://127.0.0.1:6379';
    const err = refusal(env);
    expect(err.message).toContain(name);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(name);
  });

  it('every problem is reported at once, not only the first', () => {
    const err = refusal({ PORT: 'x', LOG_LEVEL: 'loud', EVERCYCLE_TOKEN_SKEW_S: '-1' });
    expect(err.problems).toHaveLength(3);
    for (const name of ['PORT', 'LOG_LEVEL', 'EVERCYCLE_TOKEN_SKEW_S']) expect(err.message).toContain(name);
  });

  it('a username without a password is refused naming both', () => {
    const err = refusal({ EVERCYCLE_USERNAME: 'svc@example.com' });
    expect(err.message).toContain('EVERCYCLE_USERNAME');
    expect(err.message).toContain('EVERCYCLE_PASSWORD');
  });

  it('a password without a username is refused, and the password is not in the message', () => {
    const password = 'Tr0ub4dor&3-settings-secret';
    const err = refusal({ EVERCYCLE_PASSWORD: password, PORT: 'nope' });
    expect(err.message).toContain('EVERCYCLE_USERNAME');
    expect(err.message).not.toContain(password);
    expect(err.message).not.toContain('Tr0ub4dor');
  });

  it('a Redis URL that is refused does not echo its password, however it is malformed', () => {
    for (const url of [
      'redis:/:redis-pw-1@127.0.0.1:6379',
      'redis::redis-pw-1@127.0.0.1',
      'http://:redis-pw-1@127.0.0.1:6379',
      'redis://:redis-pw-1@127.0.0.1/x',
      'redis://:hun/redis-pw-1@host:6379',
      'redis://:redis-pw-1#x@host:6379',
      'redis://:redis-pw-1?@host:6379',
      'redis://127.0.0.1:99999?password=redis-pw-1',
      'redis://:redis-pw-1%ZZ@host:6379',
    ]) {
      const err = refusal({ EVERCYCLE_REDIS_URL: url });
      expect(err.message).toContain('EVERCYCLE_REDIS_URL');
      expect(err.message, url).not.toContain('redis-pw-1');
    }
    expect(loadSettings({ EVERCYCLE_REDIS_URL: 'rediss://:pw@redis.internal:6380/2', WORKERS: '2' }).workers).toBe(2);
  });

  it('credentials inside EVERCYCLE_BASE_URL are refused without echoing them', () => {
    const err = refusal({ EVERCYCLE_BASE_URL: 'https://svc:url-embedded-pw@api.evercycle.io' });
    expect(err.message).toContain('EVERCYCLE_BASE_URL');
    expect(err.message).toMatch(/credentials/);
    expect(err.message).not.toContain('url-embedded-pw');
  });
});
