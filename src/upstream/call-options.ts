// Per-call timeouts and retry policy: the gateway defaults from settings, overridden
// field by field by an API definition. Pure.
import type { Settings } from '../config.js';
import type { RetryOverride, UpstreamTimeouts } from '../definitions/types.js';
import type { Timeouts } from './client.js';
import type { RetryPolicy } from './retry-policy.js';

export interface CallOptions {
  timeouts: Timeouts;
  retry: RetryPolicy;
}

type CallSettings = Pick<
  Settings,
  'connectTimeoutMs' | 'timeoutMs' | 'headersTimeoutMs' | 'bodyTimeoutMs' | 'retryAttempts' | 'retryBudgetMs' | 'retryBaseDelayMs' | 'retryMaxDelayMs'
>;

export function resolveCallOptions(settings: CallSettings, overrides: { timeouts?: UpstreamTimeouts; retry?: RetryOverride } = {}): CallOptions {
  const t = overrides.timeouts ?? {};
  const r = overrides.retry ?? {};
  return {
    timeouts: {
      connectMs: t.connectMs ?? settings.connectTimeoutMs,
      headersMs: t.headersMs ?? settings.headersTimeoutMs ?? settings.timeoutMs,
      bodyMs: t.bodyMs ?? settings.bodyTimeoutMs ?? settings.timeoutMs,
    },
    retry: {
      attempts: r.attempts ?? settings.retryAttempts,
      budgetMs: r.budgetMs ?? settings.retryBudgetMs,
      baseDelayMs: settings.retryBaseDelayMs,
      maxDelayMs: settings.retryMaxDelayMs,
    },
  };
}
