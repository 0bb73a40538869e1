// POST /v1/auth/signin and POST /v1/auth/refresh: the only routes without the guard.
import type { FastifyPluginCallback } from 'fastify';
import type { AuthService } from '../auth.js';
import type { CallCounter } from '../calls.js';
import { AUTH_MESSAGES, HttpError } from '../errors.js';
import type { SigninLockout } from '../faults/lockout.js';
import { parseBody, refreshSchema, signInSchema } from '../schemas.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  /** Locks usernames after repeated failures, when a lockout policy is set. */
  lockout: SigninLockout;
  counter: CallCounter;
}

const SIGN_IN = 'POST /v1/auth/signin';

export const authRoutes: FastifyPluginCallback<AuthRoutesOptions> = (app, { auth, lockout, counter }, done) => {
  app.post('/v1/auth/signin', (request, reply) => {
    const { username, password } = parseBody(signInSchema, request.body);
    if (lockout.isLocked(username)) {
      counter.record(SIGN_IN, 'lockedOut');
      // Cognito's answer for a locked user: 400 NotAuthorizedException, password not checked.
      throw new HttpError(400, AUTH_MESSAGES.attemptsExceeded, { __type: 'NotAuthorizedException' });
    }
    const result = auth.signIn(username, password);
    // One message whether the user is unknown or the password wrong, as Cognito does.
    if (!result) {
      lockout.recordFailure(username);
      throw new HttpError(401, AUTH_MESSAGES.badCredentials);
    }
    lockout.recordSuccess(username);
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
