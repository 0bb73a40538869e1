// Every error the gateway answers, its own or the framework's, leaves as
// {"status":"error","message":...} with the right status code.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { GatewayError, errorBody } from '../errors.js';

export function sendError(reply: FastifyReply, err: GatewayError): FastifyReply {
  return reply.code(err.statusCode).headers(err.headers).send(errorBody(err.message, err.extra));
}

export function methodNotAllowed(allowed: readonly string[]): GatewayError {
  return new GatewayError(405, `method not allowed; use ${allowed.join(', ')}`, {}, { allow: allowed.join(', ') });
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | GatewayError, request, reply) => {
    if (err instanceof GatewayError) {
      if (err.statusCode >= 500) request.log.warn({ status: err.statusCode, reason: err.message }, 'request failed');
      return sendError(reply, err);
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err }, 'unhandled error');
      return reply.code(500).send(errorBody('internal error'));
    }
    return reply.code(status).send(errorBody(frameworkMessage(err)));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(`no route for ${request.method} ${request.url.split('?')[0]}`));
  });
}

function frameworkMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type';
    default:
      return err.message;
  }
}
