// Answers sent as ready-made JSON text (see Store.json) need their media type set by hand;
// this is the one Fastify gives the objects it serializes itself.
export const JSON_TYPE = 'application/json; charset=utf-8';
