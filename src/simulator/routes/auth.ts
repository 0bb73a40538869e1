// POST /v1/auth/signin and POST /v1/auth/refresh: the only routes without the guard.
import type { FastifyPluginCallback } from 'fastify';
import type { AuthService } from '../auth.js';
import { AUTH_MESSAGES, HttpError } from '../errors.js';
import { parseBody, refreshSchema, signInSchema } from '../schemas.js';

export interface AuthRoutesOptions {
  auth: AuthService;
}

export const authRoutes: FastifyPluginCallback<AuthRoutesOptions> = (app, { auth }, done) => {
  app.post('/v1/auth/signin', (request, reply) => {
    const { username, password } = parseBody(signInSchema, request.body);
    const result = auth.signIn(username, password);
    // One message whether the user is unknown or the password wrong, as Cognito does.
    if (!result) throw new HttpError(401, AUTH_MESSAGES.badCredentials);
    void reply.send({ AuthenticationResult: result, ChallengeParameters: {} });
  });

  app.post('/v1/auth/refresh', (request, reply) => {
    const { refresh_token } = parseBody(refreshSchema, request.body);
    const outcome = auth.refresh(refresh_token);
    if (!outcome.ok) throw new HttpError(401, outcome.message);
    void reply.send({ AuthenticationResult: outcome.result, ChallengeParameters: {} });
  });

  done();
};
