// Applies the registry's decisions to requests, as two hooks put on every endpoint:
// - onRequest, right after counting and before the token check: decides, answers 429 /
//   5xx at once (the handler never runs), or destroys the connection for a drop before
//   the headers (nothing is written, nothing is created);
// - onSend, last: delays the answer (latency + jitter, after the handler ran, so a client
//   that gives up meanwhile has still changed state), streams it slowly, or writes the
//   head and part of the body and then destroys the connection.
// Every timer is tracked: it is cleared when the client goes away, and on shutdown
// (simulator close) all of them are cleared and their connections destroyed, so a long
// latency never holds close() open.
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import type { CallCounter } from '../calls.js';
import type { FaultPlan, FaultRegistry } from './registry.js';

/** Request decoration holding the fault plan of a request, when it has one (declared in app.ts). */
export const FAULT_PLAN = 'evercycleSimulatorFaultPlan';

type ConnectionPlan = Exclude<FaultPlan, { kind: 'drop' }>;

export class FaultInjector {
  /** Abort functions of every pending timer: each clears its timer and destroys its connection. */
  private readonly pending = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly registry: FaultRegistry,
    private readonly counter: CallCounter,
  ) {}

  /** The onRequest hook of one endpoint. */
  onRequest(endpoint: string): onRequestHookHandler {
    return (request, reply, done) => {
      const plan = this.registry.plan(endpoint);
      if (plan === null || plan.kind === 'real') {
        this.counter.record(endpoint, 'real');
        if (plan) request.setDecorator(FAULT_PLAN, plan);
        done();
        return;
      }
      if (plan.kind === 'drop') {
        this.counter.record(endpoint, 'dropped');
        // Such a request never logs "request completed": say what happened to it.
        request.log.info({ fault: 'drop', delayMs: plan.delayMs }, 'fault injection: dropping the connection before the headers');
        // Nobody else may answer now; the connection dies without a byte written.
        reply.hijack();
        this.after(request, reply, plan.delayMs, () => destroyConnection(request));
        return;
      }
      this.counter.record(endpoint, plan.status === 429 ? 'rateLimited' : 'errors');
      request.setDecorator(FAULT_PLAN, plan);
      if (plan.retryAfter !== undefined) void reply.header('retry-after', plan.retryAfter);
      // Answering here ends the request: done() is deliberately not called.
      void reply.code(plan.status).send({ message: STATUS_CODES[plan.status] ?? 'Error' });
    };
  }

  /** The onSend hook of one endpoint (after any other onSend hook, so the payload is final). */
  onSend(endpoint: string): onSendHookHandler {
    return (request, reply, payload, done) => {
      const plan = request.getDecorator<FaultPlan | null>(FAULT_PLAN);
      if (!plan || plan.kind === 'drop') {
        done(null, payload);
        return;
      }
      const body = asBuffer(payload);
      const cut = plan.kind === 'real' && plan.cutAfterHeaders;
      if (body === undefined || (!cut && plan.slowBodyMs === 0)) {
        // Only a delay (or a stream payload, which no endpoint sends): Fastify writes it.
        this.after(request, reply, plan.delayMs, () => done(null, payload));
        return;
      }
      // From here on this hook writes the answer itself; done() is deliberately not called.
      reply.hijack();
      this.after(request, reply, plan.delayMs, () => this.writeAnswer(request, reply, endpoint, body, plan, cut));
    };
  }

  /** Abort every pending delay and slow body (destroying their connections), and any started from now on. */
  shutdown(): void {
    this.closed = true;
    for (const abort of [...this.pending]) abort();
  }

  /**
   * Run `then` after `ms`, unless the client goes away first (the timer is cleared and
   * nothing more happens) or the simulator closes (the connection is destroyed).
   */
  private after(request: FastifyRequest, reply: FastifyReply, ms: number, then: () => void): void {
    const res = reply.raw;
    if (res.destroyed) return;
    if (this.closed) {
      destroyConnection(request);
      return;
    }
    if (ms <= 0) {
      then();
      return;
    }
    const cleanup = (): void => {
      clearTimeout(timer);
      res.off('close', cleanup);
      this.pending.delete(abort);
    };
    const abort = (): void => {
      cleanup();
      destroyConnection(request);
    };
    const timer = setTimeout(() => {
      cleanup();
      then();
    }, ms);
    res.once('close', cleanup);
    this.pending.add(abort);
  }

  /**
   * Write status, headers (with the full Content-Length) and the body: slowly when the
   * plan says so (chunk i of n due at (i + 1) / n of slowBodyMs, so the total time holds
   * whatever the timer granularity), and for a cut only the first half, after which the
   * connection is destroyed once those bytes have left.
   */
  private writeAnswer(request: FastifyRequest, reply: FastifyReply, endpoint: string, body: Buffer, plan: ConnectionPlan, cut: boolean): void {
    const res = reply.raw;
    const end = cut ? Math.max(0, Math.min(body.length - 1, Math.floor(body.length / 2))) : body.length;
    const chunkBytes = plan.slowBodyMs > 0 ? plan.chunkBytes : Math.max(end, 1);
    const chunks = Math.max(1, Math.ceil(body.length / chunkBytes));
    const dueMs = (index: number): number => (plan.slowBodyMs * (index + 1)) / chunks;
    const started = performance.now();

    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
    headers['content-length'] = String(body.length);
    res.writeHead(reply.statusCode, headers);
    res.flushHeaders();
    if (cut) {
      this.counter.record(endpoint, 'droppedAfterHeaders');
      request.log.info({ fault: 'drop-after-headers', statusCode: reply.statusCode, sentBytes: end, bodyBytes: body.length }, 'fault injection: cutting the connection after the headers');
    }

    let offset = 0;
    let index = 0;
    const step = (): void => {
      const elapsed = performance.now() - started;
      while (offset < end && dueMs(index) <= elapsed) {
        const next = Math.min(offset + chunkBytes, end);
        const last = next >= end;
        res.write(body.subarray(offset, next), last && cut ? () => destroyConnection(request) : undefined);
        offset = next;
        index += 1;
      }
      if (offset < end) {
        this.after(request, reply, Math.max(1, Math.ceil(dueMs(index) - elapsed)), step);
      } else if (!cut) {
        res.end();
      } else if (end === 0) {
        res.write(Buffer.alloc(0), () => destroyConnection(request));
      }
    };
    step();
  }
}

function destroyConnection(request: FastifyRequest): void {
  request.raw.socket.destroy();
}

function asBuffer(payload: unknown): Buffer | undefined {
  if (payload === null || payload === undefined) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload);
  if (Buffer.isBuffer(payload)) return payload;
  return undefined;
}
