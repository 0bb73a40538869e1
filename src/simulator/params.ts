// Path and query parameters: ids and pagination. Pure; failures throw a 400 HttpError.
import { badRequest, type FieldError } from './errors.js';

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 500;

export interface Page {
  /** 1-based. */
  pageNum: number;
  perPage: number;
}

/** Decimal digits only: no sign, no exponent, no fraction, no whitespace. */
const DIGITS = /^[0-9]+$/;

/**
 * A numeric path id. "0" or an id too large to exist is still numeric (the caller answers
 * 404); anything that is not a run of digits is a 400.
 */
export function parseId(raw: string | undefined, name: string): number {
  if (raw === undefined || !DIGITS.test(raw)) {
    throw badRequest(`${name} must be a positive integer`, [{ field: name, message: 'must be a positive integer' }]);
  }
  return Number(raw);
}

function positiveInt(query: Record<string, unknown>, name: string, fallback: number, max: number, errors: FieldError[]): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && DIGITS.test(raw) ? Number(raw) : NaN;
  if (value >= 1 && value <= max) return value;
  errors.push({ field: name, message: max === Infinity ? 'must be a positive integer' : `must be an integer from 1 to ${max}` });
  return fallback;
}

/** `page_num` (1-based, default 1) and `per_page` (default 50, at most 500). */
export function parsePagination(query: unknown): Page {
  const q = (query ?? {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  const pageNum = positiveInt(q, 'page_num', 1, Infinity, errors);
  const perPage = positiveInt(q, 'per_page', DEFAULT_PER_PAGE, MAX_PER_PAGE, errors);
  if (errors.length > 0) throw badRequest('Invalid query parameter', errors);
  return { pageNum, perPage };
}

/** The slice of `items` on `page`; past the end it is empty. */
export function pageOf<T>(items: readonly T[], page: Page): T[] {
  const start = (page.pageNum - 1) * page.perPage;
  return start >= items.length ? [] : items.slice(start, start + page.perPage);
}
