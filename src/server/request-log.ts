// One structured log line per request, written when it completes: request id, method,
// path (never the query: it may carry personal data), status, durations, client address, and for proxied
// calls the API name and upstream time. Replaces Fastify's two default lines.
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

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
  }
}

export function installRequestTrace(app: FastifyInstance): void {
  app.decorateRequest('trace', null);
  // A client that goes away gets no response, so Fastify writes no completion line.
  app.addHook('onRequestAbort', async (request) => {
    request.log.info(
      { method: request.method, path: (request.raw.url ?? '').split('?')[0], status: 499, ...(request.trace?.api !== undefined && { api: request.trace.api }) },
      'client closed the connection before the answer',
    );
  });
}

export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'request_id' });
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
      duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      // The socket's address, or the client's as forwarded by a trusted proxy (TRUST_PROXY).
      client_ip: request.ip,
      ...(request.client && { client: request.client.name }),
      ...(trace?.api !== undefined && { api: trace.api }),
      ...(trace && { upstream_ms: Math.round(trace.upstreamMs * 10) / 10, upstream_calls: trace.upstreamCalls, retries: trace.retries }),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
