// Request ids: a client's X-Request-Id is kept when it is well-formed (so ids can be
// followed across systems), otherwise one is generated. Bounded charset and length keep
// ids safe to log and to send upstream.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && WELL_FORMED.test(given) ? given : randomUUID();
}
