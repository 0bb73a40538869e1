// The control surface under /_simulator/: set faults and the sign-in lockout, read and
// reset the call counters, revoke tokens. Registered only when the simulator is created
// with `control: true`. It needs no token and changes what every client sees, so it must
// never be reachable by anyone but the tests or the developer driving the sandbox.
// Its requests are not counted in calls() and never faulted (see app.ts).
import type { FastifyPluginCallback } from 'fastify';
import type { AuthService } from '../auth.js';
import type { CallCounter } from '../calls.js';
import { CONTROL_PREFIX } from '../endpoints.js';
import { badRequest } from '../errors.js';
import type { FaultRegistry } from '../faults/registry.js';
import { parseFaultSpecBody, parseLockoutBody } from '../faults/spec.js';

export interface ControlRoutesOptions {
  faults: FaultRegistry;
  counter: CallCounter;
  auth: AuthService;
}

type TargetParams = { Params: { target: string } };

/** A RangeError from the registry (unknown target) becomes a 400 naming the field. */
function asBadRequest<T>(field: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof RangeError) throw badRequest(err.message, [{ field, message: err.message }]);
    throw err;
  }
}

export const controlRoutes: FastifyPluginCallback<ControlRoutesOptions> = (app, { faults, counter, auth }, done) => {
  const at = (path: string): string => `${CONTROL_PREFIX}${path}`;

  app.get(at('faults'), (_request, reply) => {
    void reply.send(faults.get());
  });

  app.put<TargetParams>(at('faults/:target'), (request, reply) => {
    const { target } = request.params;
    const spec = parseFaultSpecBody(request.body);
    asBadRequest('target', () => faults.set(target, spec));
    void reply.send({ target, spec: faults.get()[target] });
  });

  app.delete(at('faults'), (_request, reply) => {
    faults.clear();
    void reply.code(204).send();
  });

  app.delete<TargetParams>(at('faults/:target'), (request, reply) => {
    asBadRequest('target', () => faults.clear(request.params.target));
    void reply.code(204).send();
  });

  app.get(at('lockout'), (_request, reply) => {
    void reply.send({ policy: faults.signinLockout(), lockedAccounts: faults.lockedAccounts() });
  });

  app.put(at('lockout'), (request, reply) => {
    faults.setSigninLockout(parseLockoutBody(request.body));
    void reply.send({ policy: faults.signinLockout(), lockedAccounts: faults.lockedAccounts() });
  });

  app.delete(at('lockout'), (_request, reply) => {
    faults.setSigninLockout(null);
    void reply.code(204).send();
  });

  app.get(at('calls'), (_request, reply) => {
    void reply.send({ calls: counter.snapshot(), faults: counter.faultCounts() });
  });

  app.delete(at('calls'), (_request, reply) => {
    counter.reset();
    void reply.code(204).send();
  });

  app.post(at('revoke-tokens'), (_request, reply) => {
    auth.revokeAllTokens();
    void reply.code(204).send();
  });

  done();
};
