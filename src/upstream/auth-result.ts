// Pure parsing of sign-in and refresh answers. The contract only says the answer
// "contains an AuthenticationResult object"; we accept it at the top level, under
// `AuthenticationResult`, or under `data.AuthenticationResult`, and read the lifetime
// from ExpiresIn instead of assuming one.
import { z } from 'zod';

/** Tokens as the Evercycle sign-in and refresh endpoints return them (Cognito's AuthenticationResult). */
export interface AuthResult {
  AccessToken: string;
  IdToken: string;
  /** Absent on refresh answers from Cognito: keep the refresh token we have. */
  RefreshToken?: string | undefined;
  ExpiresIn: number;
}

/** The upstream refused the credentials or refresh token (a definitive answer, not an outage). */
export class AuthRejectedError extends Error {
  override name = 'AuthRejectedError';
  constructor(
    message: string,
    readonly upstreamStatus: number,
  ) {
    super(message);
  }
}

const authResultSchema = z.object({
  AccessToken: z.string().min(1),
  IdToken: z.string().min(1),
  RefreshToken: z.string().min(1).optional(),
  ExpiresIn: z.coerce.number().int().positive(),
});

export function parseAuthResult(body: unknown): AuthResult | undefined {
  for (const candidate of candidates(body)) {
    const parsed = authResultSchema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

function candidates(body: unknown): unknown[] {
  if (body === null || typeof body !== 'object') return [];
  const record = body as Record<string, unknown>;
  const data = record.data as Record<string, unknown> | undefined;
  return [record.AuthenticationResult, data?.AuthenticationResult, data, record];
}
