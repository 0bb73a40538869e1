// Every error the gateway answers, its own or the framework's, leaves as
// {"status":"error","message":...} with the right status code.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { GatewayError, errorBody } from '../errors.js';
import { HARDENING_HEADERS, securityHeaders } from './security/response-headers.js';

export function sendError(reply: FastifyReply, err: GatewayError): FastifyReply {
  return reply.code(err.statusCode).headers(err.headers).send(errorBody(err.message, err.extra));
}

export function methodNotAllowed(allowed: readonly string[]): GatewayError {
  return new GatewayError(405, `method not allowed; use ${allowed.join(', ')}`, {}, { allow: allowed.join(', ') });
}

/** Answer 405 (in our error shape, with Allow) to every other method on these read-only routes. */
export function readOnly(app: FastifyInstance, ...urls: string[]): void {
  for (const url of urls) {
    app.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url,
      handler: async () => {
        throw methodNotAllowed(['GET', 'HEAD']);
      },
    });
  }
}

export interface ErrorHandlerOptions {
  /** Runs before the not-found answer (the rate limiter: a scan of unknown paths counts too). */
  notFoundPreHandler?: preHandlerAsyncHookHandler;
}

export function installErrorHandlers(app: FastifyInstance, options: ErrorHandlerOptions = {}): void {
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

  const notFound = (request: FastifyRequest, reply: FastifyReply): void => {
    reply.code(404).send(errorBody(`no route for ${request.method} ${request.url.split('?')[0]}`));
  };
  if (options.notFoundPreHandler) app.setNotFoundHandler({ preHandler: options.notFoundPreHandler }, notFound);
  else app.setNotFoundHandler(notFound);
}

function frameworkMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type';
    // Fastify's own text quotes the whole URL, query (and whatever secret a client put there) included.
    case 'FST_ERR_BAD_URL':
      return 'the request URL is not valid: malformed percent-encoding in the path';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'a path segment of the request URL is too long';
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
  // Answered outside the route's hooks, so no completion line is written for it: this is it.
  request.log.info({ method: request.method, path: (request.raw.url ?? '').split('?')[0], status, client_ip: request.ip }, 'request refused before routing');
  // Sent outside the route's hooks: the hardening headers are added here.
  void reply
    .code(status)
    .header('x-request-id', request.id)
    .headers(securityHeaders(request.raw.url ?? ''))
    .send(errorBody(frameworkMessage(err)));
}

/** Answers for requests Node's HTTP parser refuses, keyed by its error code. A header
 * overflow caused by the request line alone is a URL over the limit: 414 (clientErrorHandler). */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request timeout'],
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
};

const URL_TOO_LONG: [number, string] = [414, 'request URL too long'];
/** The hardening headers, and no-store since the path of a request the parser refused is unknown. */
const RAW_HEADERS = Object.entries({ ...HARDENING_HEADERS, 'cache-control': 'no-store' })
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/**
 * A request Node's HTTP parser refuses (unknown method, malformed header line, headers too
 * large) never reaches Fastify's routing; like Fastify's default handler, answer on the raw
 * socket and close it, but in our error shape. With `maxUrlLength`, a header overflow whose
 * request line is already longer than that is answered 414 instead of 431: Node counts the
 * request line into its header limit, so a very long URL overflows before any hook sees it.
 */
export function clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket, maxUrlLength?: number): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const urlTooLong = err.code === 'HPE_HEADER_OVERFLOW' && maxUrlLength !== undefined && requestTargetLength(err.rawPacket) > maxUrlLength;
  const [status, message] = urlTooLong ? URL_TOO_LONG : (CLIENT_ERRORS[err.code ?? ''] ?? [400, 'malformed HTTP request']);
  const body = JSON.stringify(errorBody(message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n${RAW_HEADERS}` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * Length of the request target in the bytes the parser choked on (Node attaches them as
 * `rawPacket`): from after the method to the next space or line end, or to the end of the
 * bytes when the request line never ended. 0 when they do not start with a request line
 * (the overflow came in a later packet, among the headers).
 */
function requestTargetLength(rawPacket: unknown): number {
  if (!Buffer.isBuffer(rawPacket)) return 0;
  const methodEnd = rawPacket.indexOf(0x20);
  if (methodEnd < 1 || methodEnd > 32 || !/^[A-Z]+$/.test(rawPacket.toString('latin1', 0, methodEnd))) return 0;
  let end = methodEnd + 1;
  while (end < rawPacket.length && rawPacket[end] !== 0x20 && rawPacket[end] !== 0x0d && rawPacket[end] !== 0x0a) end++;
  return end - methodEnd - 1;
}
