// Every error the simulator answers with. Each one is JSON with a `message`; validation
// errors add `errors: [{field, message}]`. Messages never quote a token or a password.
import { STATUS_CODES } from 'node:http';

export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorBody {
  message: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export class HttpError extends Error {
  readonly body: ErrorBody;

  constructor(
    readonly statusCode: number,
    message: string,
    extra?: Omit<ErrorBody, 'message'>,
  ) {
    super(message);
    this.name = 'HttpError';
    this.body = { message, ...extra };
  }
}

export const badRequest = (message: string, errors?: FieldError[]): HttpError =>
  new HttpError(400, message, errors ? { errors } : undefined);

export const notFound = (message: string, extra?: Omit<ErrorBody, 'message'>): HttpError => new HttpError(404, message, extra);

/** Messages of the sign-in and refresh endpoints, as Cognito words them. */
export const AUTH_MESSAGES = {
  badCredentials: 'Incorrect username or password.',
  invalidRefreshToken: 'Invalid Refresh Token',
  expiredRefreshToken: 'Refresh Token has expired',
  /** A sign-in refused because the account is locked after too many failures. */
  attemptsExceeded: 'Password attempts exceeded',
} as const;

/** Messages of the header check in front of every data endpoint. */
export const GUARD_MESSAGES = {
  unauthorized: 'Unauthorized',
  missingAuthorization: 'Missing Authorization header: send the IdToken as its value',
  missingAccessToken: 'Missing access-token header: send the AccessToken as its value',
  bearerScheme: 'Authorization must be the raw IdToken, without a "Bearer" scheme',
  mismatchedPair: 'The IdToken and the access-token do not belong to the same sign-in',
  expired: 'The incoming token has expired',
} as const;

/**
 * The answer for an error Fastify raised itself (body parsing, limits). Every error is JSON
 * with a message; a body that is not JSON (wrong Content-Type) is a 400 like a malformed
 * one rather than a 415, since this API only ever takes JSON.
 */
export function frameworkError(code: string | undefined, statusCode: number | undefined): { statusCode: number; message: string } {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { statusCode: 400, message: 'Request body is not valid JSON' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { statusCode: 400, message: 'Request body is empty: send a JSON object' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { statusCode: 400, message: 'Content-Type must be application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, message: 'Request body is too large' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { statusCode: 400, message: 'Content-Length does not match the request body' };
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return { statusCode, message: STATUS_CODES[statusCode] ?? 'Bad Request' };
  }
  return { statusCode: 500, message: 'Internal Server Error' };
}
