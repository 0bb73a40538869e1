// Label values are bounded whatever a client or a broken upstream sends (pure functions).
import { describe, expect, it } from 'vitest';
import { methodLabel, outcomeLabel, statusLabel } from '../src/metrics/labels.js';

describe('label values', () => {
  it('methods: the usual ones as they are, anything else OTHER', () => {
    for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) expect(methodLabel(m)).toBe(m);
    for (const m of ['PROPFIND', 'PURGE', 'get', 'X'.repeat(200)]) expect(methodLabel(m)).toBe('OTHER');
  });

  it('statuses: three digits from 100 to 599, else unknown', () => {
    expect(statusLabel(200)).toBe('200');
    expect(statusLabel(499)).toBe('499');
    for (const s of [0, 99, 600, 1000, 200.5, NaN]) expect(statusLabel(s)).toBe('unknown');
  });

  it('upstream outcomes: the status class, or how the try failed', () => {
    expect([200, 204, 301, 404, 429, 500, 503].map(outcomeLabel)).toEqual(['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx']);
    expect(['timeout', 'unavailable', 'aborted'].map((r) => outcomeLabel(r as 'timeout'))).toEqual(['timeout', 'unavailable', 'aborted']);
    expect(outcomeLabel(999)).toBe('unknown');
  });
});
