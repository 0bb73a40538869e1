// POST /api/auth: sign in to Evercycle with the given credentials and keep the tokens.
// DELETE /api/auth: forget them (memory and store). Both need the admin role (access.ts).
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';
import { AuthRejectedError } from '../../upstream/auth-result.js';
import { readJsonBody } from '../body.js';
import type { GatewayDeps } from '../deps.js';
import { methodNotAllowed } from '../errors.js';

export function authRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/api/auth', async (request) => {
    // The contract: 400 for any body that is not valid JSON (a form post included).
    const { value } = readJsonBody(request.body, request.headers['content-type'], { nonJsonStatus: 400, maxDepth: deps.settings.maxJsonDepth });
    const { username, password } = credentialsFrom(value);
    try {
      await deps.tokens.signIn(username, password, request.id);
    } catch (err) {
      // The upstream's reason is kept out of the answer: it could echo what we sent.
      if (err instanceof AuthRejectedError) throw new GatewayError(401, 'Authentication failed');
      throw err;
    }
    return { status: 'success', message: 'Authentication successful' };
  });
  app.delete('/api/auth', async () => {
    const { hadTokens, resignsIn } = await deps.tokens.signOut();
    const what = hadTokens ? 'Signed out: the Evercycle tokens are deleted' : 'Not signed in: no Evercycle tokens to delete';
    // Honest about the service account: it is still configured, so the next call signs in again.
    const next = resignsIn ? '; the configured service account signs in again on the next call' : '';
    return { status: 'success', message: `${what}${next}` };
  });
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'PATCH', 'OPTIONS'],
    url: '/api/auth',
    handler: async () => {
      throw methodNotAllowed(['POST', 'DELETE']);
    },
  });
}

function credentialsFrom(value: unknown): { username: string; password: string } {
  const record = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const username = record.username;
  const password = record.password;
  const missing = [
    typeof username === 'string' && username !== '' ? null : 'username',
    typeof password === 'string' && password !== '' ? null : 'password',
  ].filter((f): f is string => f !== null);
  if (missing.length > 0) throw new GatewayError(400, `Missing ${missing.join(' and ')}`);
  return { username: username as string, password: password as string };
}
