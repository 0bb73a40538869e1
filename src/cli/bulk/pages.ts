// Walking a paginated API page by page (`page_num` from 1, `per_page`), each page tried
// again on 429/502/503/504 or a lost connection (honouring Retry-After, bounded).
//
// The answer shape: the Evercycle API (and its simulator) answers a JSON array per page,
// with the total in X-Total-Count, which the gateway passes on inside its
// {"status":"success","data":[...]} envelope. An object wrapping the array
// ({"items"|"results"|"assets"|"data": [...], "total": n}) is read too, in case a real
// deployment answers that way. The walk ends on a short page (fewer rows than asked, the
// empty page past the end included) or once the total is reached, whichever comes first;
// the total alone is not trusted, as the inventory may grow during a long export.
import { CliError } from '../errors.js';
import type { GatewayAnswer, GatewayClient } from '../gateway-client.js';
import { isPlainObject } from './flatten.js';
import { PAGE_RETRY_STATUSES, retryDecision, sleep } from './retry.js';

export interface Page {
  pageNum: number;
  rows: unknown[];
  /** Items on all pages, when the API says. */
  total?: number;
}

const ARRAY_KEYS = ['items', 'results', 'assets', 'data'] as const;
const TOTAL_KEYS = ['total', 'total_count', 'count'] as const;

/** Pure: the rows and total of one page answer (the gateway's envelope). Throws when it holds no array. */
export function readPage(body: unknown, headers: GatewayAnswer['headers']): { rows: unknown[]; total?: number } {
  const data = isPlainObject(body) ? body.data : undefined;
  const header = headers['x-total-count'];
  let total = toCount(Array.isArray(header) ? header[0] : header);
  if (Array.isArray(data)) return { rows: data, ...(total !== undefined && { total }) };
  if (isPlainObject(data)) {
    const key = ARRAY_KEYS.find((k) => Array.isArray(data[k]));
    if (key) {
      total ??= TOTAL_KEYS.map((k) => toCount(data[k])).find((n) => n !== undefined);
      return { rows: data[key] as unknown[], ...(total !== undefined && { total }) };
    }
  }
  throw new Error('the answer holds no list of items (expected a JSON array in "data")');
}

/** Pure: whether no page follows this one. */
export function isLastPage(pageNum: number, perPage: number, rowCount: number, total: number | undefined): boolean {
  return rowCount < perPage || (total !== undefined && pageNum * perPage >= total);
}

export interface WalkOptions {
  api: string;
  perPage: number;
  /** Page to start from (1 for a fresh walk). */
  firstPage: number;
  /** Retries per page after its first try. */
  retries: number;
  signal?: AbortSignal;
  /** Told about each retry, e.g. to print a note. */
  onRetry?: (note: string) => void;
}

export async function* walkPages(client: GatewayClient, options: WalkOptions): AsyncGenerator<Page> {
  for (let pageNum = options.firstPage; ; pageNum++) {
    // The first request of a walk fails at once without an answer: a wrong --gateway or a
    // stopped gateway is a mistake to report now, not an outage to wait out.
    const answer = await fetchPage(client, pageNum, { ...options, retryWithoutAnswer: pageNum !== options.firstPage });
    let page;
    try {
      page = readPage(answer.body, answer.headers);
    } catch (err) {
      throw new CliError(`page ${pageNum}: ${(err as Error).message}`, 1);
    }
    yield { pageNum, ...page };
    if (isLastPage(pageNum, options.perPage, page.rows.length, page.total)) return;
  }
}

async function fetchPage(client: GatewayClient, pageNum: number, options: WalkOptions & { retryWithoutAnswer: boolean }): Promise<GatewayAnswer> {
  const query = [
    ['page_num', String(pageNum)],
    ['per_page', String(options.perPage)],
  ] as const;
  for (let failures = 1; ; failures++) {
    try {
      return await client.call('GET', options.api, { query, signal: options.signal });
    } catch (err) {
      if (!(err instanceof CliError) || options.signal?.aborted) throw err;
      const decision = retryDecision(
        { status: err.answer?.status, retryAfter: err.answer?.headers['retry-after'], failures },
        { retries: options.retries, statuses: PAGE_RETRY_STATUSES, retryWithoutAnswer: options.retryWithoutAnswer },
      );
      if (!decision.retry) throw new CliError(`page ${pageNum}: ${err.message}${decision.reason ? `; ${decision.reason}` : ''}`, 1, err.answer);
      options.onRetry?.(`page ${pageNum}: ${err.message}; trying again in ${(decision.waitMs / 1000).toFixed(1)} s`);
      await sleep(decision.waitMs, options.signal);
    }
  }
}

function toCount(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
