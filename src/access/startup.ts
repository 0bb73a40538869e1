// At start-up, before anything listens: load the keys (API_KEYS_FILE) and decide whether
// the gateway may serve HOST with them (exposure.ts). Throws to refuse the start.
import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import type { DefinitionSet } from '../definitions/types.js';
import { exposureDecision } from './exposure.js';
import type { KeyRing } from './keys.js';
import { loadKeyRing } from './keys-store.js';

/** Refused start: not safe to serve HOST without keys. */
export class ExposureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExposureError';
  }
}

/** The keys to enforce, or null when none are configured (no client authentication). */
export async function prepareAccess(settings: Settings, logger: Logger, definitions: DefinitionSet): Promise<KeyRing | null> {
  const keys = settings.keysFile ? await loadKeyRing(settings.keysFile) : null;
  const decision = exposureDecision({ host: settings.host, keysConfigured: keys !== null, insecureNoAuth: settings.insecureNoAuth, trustProxy: settings.trustProxy });
  if (decision.action === 'refuse') throw new ExposureError(decision.message);
  if (decision.action === 'warn') logger.warn({ host: settings.host }, decision.message);

  if (keys === null) {
    if (decision.action === 'start') logger.info({ host: settings.host }, 'API_KEYS_FILE is not set: no client authentication; only loopback clients (after TRUST_PROXY) are served');
    return null;
  }
  if (keys.size === 0) logger.warn({ keys_file: settings.keysFile }, 'the keys file holds no keys: every request but /health and /ready will be refused');
  else logger.info({ keys_file: settings.keysFile, keys: keys.size }, 'client authentication with API keys is on');
  const unknown = keys.limitedTo().filter((name) => definitions.get(name) === undefined);
  if (unknown.length > 0) logger.warn({ keys_file: settings.keysFile, apis: unknown }, 'keys are limited to APIs that are not defined');
  return keys;
}
