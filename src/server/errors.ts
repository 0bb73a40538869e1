// Every error the gateway answers, its own or the framework's, leaves as
// {"status":"error","message":...} with the right status code.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * Errors Fastify raises before any route runs: a URL its router cannot decode (`/api/%zz`),
 * a parameter over maxParamLength. Without this option Fastify answers them in its own
 * shape ({"error","code","message","statusCode"}), bypassing the error handler above.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  void reply.code(status).header('x-request-id', request.id).send(errorBody(frameworkMessage(err)));
}

/** Answers for requests Node's HTTP parser refuses, keyed by its error code. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request timeout'],
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
};

/**
 * A request Node's HTTP parser refuses (unknown method, malformed header line, headers too
 * large) never reaches Fastify's routing; like Fastify's default handler, answer on the raw
 * socket and close it, but in our error shape.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
  const body = JSON.stringify(errorBody(message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
