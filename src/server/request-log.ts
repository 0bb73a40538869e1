// One structured log line per request, written when it completes: request id, method,
// path (never the query: it may carry personal data), status, durations, client address, and for proxied
// calls the API name and upstream time. Replaces Fastify's two default lines.
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';

/** What the proxy records about a call, for the request log line. */
export interface ProxyTrace {
  api?: string;
  upstreamMs: number;
  /** Upstream tries made (retries and a token replay included). */
  upstreamCalls: number;
  /** Of those, retries after a retryable failure. */
  retries: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    trace: ProxyTrace | null;
    /** performance.now() when the request arrived (the abort line's duration). */
    receivedAt: number;
  }
}

export function installRequestTrace(app: FastifyInstance): void {
  app.decorateRequest('trace', null);
  app.decorateRequest('receivedAt', 0);
  app.addHook('onRequest', (request, _reply, done) => {
    request.receivedAt = performance.now();
    done();
  });
  // A client that goes away gets no response, so Fastify writes no completion line.
  app.addHook('onRequestAbort', async (request) => {
    const trace = request.trace;
    request.log.info(
      {
        method: request.method,
        path: (request.raw.url ?? '').split('?')[0],
        status: 499,
        duration_ms: round(performance.now() - request.receivedAt),
        client_ip: request.ip,
        ...(trace?.api !== undefined && { api: trace.api }),
        ...(trace && { upstream_ms: round(trace.upstreamMs), upstream_calls: trace.upstreamCalls, retries: trace.retries }),
      },
      'client closed the connection before the answer',
    );
  });
}

/** Milliseconds to one decimal. */
function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export class RequestLogController extends LogController {
  /**
   * Writes the "request completed" lines: the gateway's logger without redaction, on the
   * same destination. Redacting costs every line a walk over the redaction paths, and
   * this line is built here from fields that never hold a secret (no query, no header, no
   * body). Everything else, "request errored" with its error included, goes through the
   * redacting logger.
   */
  private readonly completed: Logger;

  constructor(logger: Logger) {
    super({ requestIdLogLabel: 'request_id' });
    this.completed = pino({ level: logger.level }, (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym]!);
  }

  override incomingRequest(): void {
    // Nothing: the completion line carries everything.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const trace = request.trace;
    const line = {
      method: request.method,
      path: (request.raw.url ?? '').split('?')[0],
      status: reply.statusCode,
      duration_ms: round(reply.elapsedTime),
      // The socket's address, or the client's as forwarded by a trusted proxy (TRUST_PROXY).
      client_ip: request.ip,
      ...(request.client && { client: request.client.name }),
      ...(trace?.api !== undefined && { api: trace.api }),
      ...(trace && { upstream_ms: round(trace.upstreamMs), upstream_calls: trace.upstreamCalls, retries: trace.retries }),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else this.completed.info({ request_id: request.id, ...line }, 'request completed');
  }
}
