// `login --direct` / `logout --direct`: sign in to Evercycle itself, without a running
// gateway, and write the tokens to the gateway's token store; or delete that store. The
// settings are the gateway's own (EVERCYCLE_BASE_URL, EVERCYCLE_DATA_DIR,
// EVERCYCLE_SECRET_KEY, timeouts ...), so a gateway started later with the same settings
// finds itself signed in.
import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { loadSettings, SettingsError, type Settings } from '../config.js';
import { GatewayError } from '../errors.js';
import { createLogger } from '../logger.js';
import { FileTokenStore } from '../tokens/file-store.js';
import { UpstreamAuthApi } from '../upstream/auth-api.js';
import { AuthRejectedError } from '../upstream/auth-result.js';
import { UpstreamBreaker } from '../upstream/breaker.js';
import { resolveCallOptions } from '../upstream/call-options.js';
import { UpstreamClient } from '../upstream/client.js';
import { CliError } from './errors.js';

export const NO_BASE_URL_MESSAGE =
  'login --direct needs EVERCYCLE_BASE_URL (the Evercycle API to sign in to). The built-in simulator cannot be used: ' +
  'it lives inside a gateway process and forgets its sessions when that process stops, so tokens stored for it would ' +
  'never work. With the simulator, sign in through the running gateway instead (login without --direct).';

export interface DirectSignIn {
  /** The token file written. */
  file: string;
  upstream: string;
  expiresInS: number;
}

/** Sign in to Evercycle with these credentials and store the tokens where the gateway reads them. */
export async function directSignIn(username: string, password: string, env: NodeJS.ProcessEnv = process.env): Promise<DirectSignIn> {
  const settings = settingsFrom(env);
  if (!settings.baseUrl) throw new CliError(NO_BASE_URL_MESSAGE, 2);
  const logger = warningsLogger();
  const store = new FileTokenStore({ dir: settings.dataDir, logger, upstream: settings.baseUrl, key: settings.secretKey });
  try {
    await store.prepare();
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const upstream = new UpstreamClient({
    baseUrl: settings.baseUrl,
    breaker: new UpstreamBreaker({ failures: settings.breakerFailures, openMs: settings.breakerOpenMs }),
    logger,
  });
  const auth = new UpstreamAuthApi({ client: upstream, signinPath: settings.signinPath, refreshPath: settings.refreshPath, call: resolveCallOptions(settings) });
  try {
    const result = await auth.signIn(username, password);
    if (!result.RefreshToken) throw new CliError("Evercycle's sign-in answer carried no refresh token; nothing stored");
    // The same token set the gateway's TokenManager makes of a sign-in answer.
    const now = Date.now();
    await store.save({
      accessToken: result.AccessToken,
      idToken: result.IdToken,
      refreshToken: result.RefreshToken,
      expiresAt: now + result.ExpiresIn * 1000,
      obtainedAt: now,
    });
    return { file: store.file, upstream: settings.baseUrl, expiresInS: result.ExpiresIn };
  } catch (err) {
    // Evercycle's own text is left out, as POST /api/auth does: it could echo what was sent.
    if (err instanceof AuthRejectedError) throw new CliError(`Authentication failed (Evercycle answered HTTP ${err.upstreamStatus})`);
    if (err instanceof GatewayError) throw new CliError(err.message);
    throw err;
  } finally {
    await upstream.close();
  }
}

export interface DirectSignOut {
  file: string;
  /** Whether there was a token file to delete. */
  existed: boolean;
}

/** Delete the token file (whichever upstream it belongs to). */
export async function directSignOut(env: NodeJS.ProcessEnv = process.env): Promise<DirectSignOut> {
  const settings = settingsFrom(env);
  const store = new FileTokenStore({ dir: settings.dataDir, logger: warningsLogger(), upstream: settings.baseUrl ?? '', key: settings.secretKey });
  const existed = await stat(store.file).then(
    () => true,
    () => false,
  );
  try {
    await store.clear();
  } catch (err) {
    throw new CliError(`cannot delete ${store.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { file: store.file, existed };
}

/**
 * The gateway's settings. EVERCYCLE_USERNAME/PASSWORD are left out: here they are the
 * credentials being used (one may come from a prompt), not a service account to check.
 */
function settingsFrom(env: NodeJS.ProcessEnv): Settings {
  const { EVERCYCLE_USERNAME: _user, EVERCYCLE_PASSWORD: _password, ...rest } = env;
  try {
    return loadSettings(rest);
  } catch (err) {
    if (err instanceof SettingsError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** The token store's and upstream client's warnings, as `warning: <message>` lines on stderr. */
function warningsLogger(): Logger {
  const stderrLines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        try {
          const entry = JSON.parse(line) as { msg?: string; dir?: string; file?: string };
          const where = entry.file ?? entry.dir;
          process.stderr.write(`warning: ${entry.msg ?? line}${where ? ` (${where})` : ''}\n`);
        } catch {
          process.stderr.write(`warning: ${line}\n`);
        }
      }
      done();
    },
  });
  return createLogger({ level: 'warn', destination: stderrLines });
}
