// The header check in front of every data endpoint, run before the body is read: a
// request without a valid `Authorization: <IdToken>` + `access-token: <AccessToken>` pair
// answers 401 and goes no further. The caller it establishes is kept on the request.
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { AuthService, Principal } from '../auth.js';

/** Request decoration holding the authenticated caller (declared in app.ts). */
export const PRINCIPAL = 'evercycleSimulatorPrincipal';

export function createGuard(auth: AuthService): onRequestHookHandler {
  return function guard(request, reply, done) {
    const result = auth.verify(request.headers.authorization, request.headers['access-token']);
    if (!result.ok) {
      // Answering here ends the request: done() is deliberately not called.
      void reply.code(401).send({ message: result.message });
      return;
    }
    request.setDecorator(PRINCIPAL, result.principal);
    done();
  };
}

/** The caller of a guarded route. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.getDecorator<Principal | null>(PRINCIPAL);
  if (!principal) throw new Error('guarded route reached without a principal');
  return principal;
}
