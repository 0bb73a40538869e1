// GET /openapi.json: the OpenAPI 3.1 document of the live definition set. Built once per
// set: a reload swaps the set object, so the next request builds (and keeps) a new one.
import type { FastifyInstance } from 'fastify';
import type { DefinitionSet } from '../../definitions/types.js';
import { buildOpenApi } from '../../docs/openapi.js';
import { VERSION } from '../../version.js';
import type { GatewayDeps } from '../deps.js';
import { readOnly } from '../errors.js';

export function openapiRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const documents = new WeakMap<DefinitionSet, string>();
  const documentFor = (set: DefinitionSet): string => {
    let text = documents.get(set);
    if (text === undefined) {
      text = JSON.stringify(buildOpenApi(set.list(), { version: VERSION, apiKeys: Boolean(deps.keys) }));
      documents.set(set, text);
    }
    return text;
  };

  app.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(documentFor(deps.definitions())));
  readOnly(app, '/openapi.json');
}
