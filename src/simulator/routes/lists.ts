// GET /v1/programs and GET /v1/tracking: the caller's programs and shipments, unpaginated
// (the spec documents no query parameters for them; both lists are small).
import type { FastifyPluginCallback } from 'fastify';
import type { Store } from '../store.js';
import { principalOf } from './guard.js';
import { JSON_TYPE } from './json.js';

export interface ListRoutesOptions {
  store: Store;
}

export const listRoutes: FastifyPluginCallback<ListRoutesOptions> = (app, { store }, done) => {
  app.get('/v1/programs', (request, reply) => {
    void reply.type(JSON_TYPE).send(store.json(store.listPrograms(principalOf(request))));
  });

  app.get('/v1/tracking', (request, reply) => {
    void reply.type(JSON_TYPE).send(store.json(store.listTracking(principalOf(request))));
  });

  done();
};
