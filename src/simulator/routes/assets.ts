// The asset endpoints of the spec: list, by organization, get, create, edit, confirm, and
// asset requests. Lists answer a JSON array (one page) with the total in X-Total-Count.
import type { FastifyPluginCallback } from 'fastify';
import { badRequest, notFound } from '../errors.js';
import { parseId, parsePagination } from '../params.js';
import { assetRequestSchema, confirmSchema, createAssetSchema, parseBody, updateAssetSchema } from '../schemas.js';
import type { Store } from '../store.js';
import { principalOf } from './guard.js';
import { JSON_TYPE } from './json.js';

export interface AssetRoutesOptions {
  store: Store;
}

const ASSET_NOT_FOUND = 'Asset not found';

export const assetRoutes: FastifyPluginCallback<AssetRoutesOptions> = (app, { store }, done) => {
  app.get('/v1/asset', (request, reply) => {
    const page = parsePagination(request.query);
    const { items, total } = store.listAssets(principalOf(request), page);
    void reply.header('x-total-count', String(total)).type(JSON_TYPE).send(store.jsonArray(items));
  });

  app.get<{ Params: { org_id: string } }>('/v1/asset/org/:org_id', (request, reply) => {
    const orgId = parseId(request.params.org_id, 'org_id');
    const page = parsePagination(request.query);
    const result = store.listOrgAssets(principalOf(request), orgId, page);
    if (!result) throw notFound('Organization not found');
    void reply.header('x-total-count', String(result.total)).type(JSON_TYPE).send(store.jsonArray(result.items));
  });

  app.get<{ Params: { id: string } }>('/v1/asset/:id', (request, reply) => {
    const asset = store.getAsset(principalOf(request), parseId(request.params.id, 'id'));
    if (!asset) throw notFound(ASSET_NOT_FOUND);
    void reply.type(JSON_TYPE).send(store.json(asset));
  });

  app.post('/v1/asset/create', (request, reply) => {
    const input = parseBody(createAssetSchema, request.body);
    void reply.code(201).send(store.createAsset(principalOf(request), input));
  });

  app.put<{ Params: { id: string } }>('/v1/asset/:id', (request, reply) => {
    const id = parseId(request.params.id, 'id');
    const patch = parseBody(updateAssetSchema, request.body);
    // Unknown fields are dropped, so a body of only misspelled fields would silently do
    // nothing; refuse it instead.
    if (Object.keys(patch).length === 0) {
      throw badRequest('Request body must contain at least one asset field', [{ field: 'body', message: 'no known asset field given' }]);
    }
    const asset = store.updateAsset(principalOf(request), id, patch);
    if (!asset) throw notFound(ASSET_NOT_FOUND);
    void reply.send(asset);
  });

  app.post('/v1/asset/confirm', (request, reply) => {
    const { asset_id } = parseBody(confirmSchema, request.body);
    const asset = store.confirmAsset(principalOf(request), asset_id);
    if (!asset) throw notFound(ASSET_NOT_FOUND);
    void reply.send(asset);
  });

  app.post('/v1/asset/request', (request, reply) => {
    const input = parseBody(assetRequestSchema, request.body);
    const result = store.createRequest(principalOf(request), input);
    if (!result.ok) throw notFound(ASSET_NOT_FOUND, { asset_ids: result.missingAssetIds });
    void reply.code(201).send(result.request);
  });

  done();
};
