// Sending one import row: journal `sending` (on disk first), POST through the gateway, then
// journal what the answer proves. Only answers that prove nothing was created (429, 503)
// are tried again, after Retry-After or a backoff; a POST that may have been processed
// (no answer, 500, 502, 504) is recorded as in doubt and never resent here. A POST in
// flight is never aborted, not even by Ctrl-C: its answer is what tells whether it created
// the asset.
import { CliError } from '../errors.js';
import type { GatewayClient } from '../gateway-client.js';
import { isPlainObject } from './flatten.js';
import { fieldProblems, signInHint } from './hints.js';
import type { Journal } from './journal.js';
import type { RowOutcome } from './results.js';
import { POST_RETRY_STATUSES, retryDecision, sleep } from './retry.js';

export interface SendContext {
  client: GatewayClient;
  journal: Journal;
  api: string;
  method: string;
  retries: number;
  /** Aborts waits between tries (not a POST in flight). */
  signal: AbortSignal;
  onRetry: (note: string) => void;
}

export interface ReadyRow {
  line: number;
  body: Record<string, unknown>;
  hash: string;
}

export interface SendResult {
  outcome: RowOutcome;
  /** Set when no further row should be sent this run (the gateway refuses or is gone). */
  stopRun?: string;
}

const MAX_ERROR_LENGTH = 600;

export async function sendRow(ctx: SendContext, row: ReadyRow): Promise<SendResult> {
  await ctx.journal.append({ event: 'sending', line: row.line, hash: row.hash });
  for (let failures = 1; ; failures++) {
    let err: CliError;
    try {
      const answer = await ctx.client.call(ctx.method, ctx.api, { data: row.body });
      const id = createdId(answer.body);
      await ctx.journal.append({ event: 'created', line: row.line, id });
      return { outcome: { status: 'created', id } };
    } catch (caught) {
      if (!(caught instanceof CliError)) throw caught;
      err = caught;
    }
    // A refusal keeps its per-field problems (what to fix in the row), and a lost session says how to restore it.
    const message = clip(`${err.message}${fieldProblems(err.answer)}${signInHint(err.answer)}`);
    const status = err.answer?.status;
    if (status === undefined) {
      await ctx.journal.append({ event: 'unknown', line: row.line, error: message });
      return { outcome: { status: 'in_doubt', error: message }, stopRun: message };
    }
    const decision = retryDecision({ status, retryAfter: err.answer?.headers['retry-after'], failures }, { retries: ctx.retries, statuses: POST_RETRY_STATUSES, retryWithoutAnswer: false });
    if (decision.retry && !ctx.signal.aborted) {
      ctx.onRetry(`line ${row.line}: ${message}; trying again in ${(decision.waitMs / 1000).toFixed(1)} s`);
      const waited = await sleep(decision.waitMs, ctx.signal).then(
        () => true,
        () => false,
      );
      if (waited) continue;
    }
    if (status >= 500 && status !== 503) {
      await ctx.journal.append({ event: 'unknown', line: row.line, error: message });
      return { outcome: { status: 'in_doubt', error: message } };
    }
    await ctx.journal.append({ event: 'failed', line: row.line, status, error: message });
    // Refused credentials, or a gateway that stays unavailable: every further row would fail alike.
    const stop = status === 401 || status === 403 || POST_RETRY_STATUSES.has(status) ? message : undefined;
    return { outcome: { status: 'failed', error: message }, ...(stop && { stopRun: stop }) };
  }
}

/** The new asset's id in the gateway's {"status":"success","data":{...}} answer; null when it has none. */
export function createdId(body: unknown): string | number | null {
  const data = isPlainObject(body) ? body.data : undefined;
  const id = isPlainObject(data) ? data.id : undefined;
  return typeof id === 'number' || typeof id === 'string' ? id : null;
}

function clip(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}...` : text;
}
