// PUT /v1/pricebook/{id}/{grade}: set one grade's price in a pricebook catalog entry.
import type { FastifyPluginCallback } from 'fastify';
import { badRequest, notFound } from '../errors.js';
import { parseId } from '../params.js';
import { GRADE_NAME, gradePriceSchema, parseBody } from '../schemas.js';
import type { Store } from '../store.js';

export interface PricebookRoutesOptions {
  store: Store;
}

export const pricebookRoutes: FastifyPluginCallback<PricebookRoutesOptions> = (app, { store }, done) => {
  app.put<{ Params: { id: string; grade: string } }>('/v1/pricebook/:id/:grade', (request, reply) => {
    const id = parseId(request.params.id, 'id');
    const { grade } = request.params;
    if (!GRADE_NAME.test(grade)) {
      throw badRequest('Invalid grade name', [{ field: 'grade', message: 'must be 1 to 20 letters, digits, spaces or + _ -' }]);
    }
    const { price } = parseBody(gradePriceSchema, request.body);
    const entry = store.setGradePrice(id, grade, price);
    if (!entry) throw notFound('Pricebook entry not found');
    void reply.send(entry);
  });

  done();
};
