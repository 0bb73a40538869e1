// Property tests of path templating: whatever a client puts in a path parameter, the
// upstream URL has exactly the template's segments, each value is one segment that decodes
// back to the value, and no URL parser on the way would normalise it into something else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PathTemplateError } from '../src/definitions/errors.js';
import { resolveUpstreamPath } from '../src/definitions/params.js';
import { parseDefinition } from '../src/definitions/parse.js';
import { compilePathTemplate } from '../src/definitions/template.js';
import type { ApiDefinition } from '../src/definitions/types.js';

const RUNS = { numRuns: 500 };

/** Characters that mean something in a URL or a path, and look-alikes of them. */
const TRICKY = ['/', '?', '#', '%', '.', '..', '+', ' ', '&', '=', ';', ':', '@', '\\', '~', '2F', '2e', '%2F', '%2e', '%25', '%00', '\u0000', '\r', '\n', '\t', 'é', '\u2024', '\uff0f', '\uff05', '\uff0e', '\u{1F600}', 'a', 'Z', '0'];

/** Any string, weighted towards the characters that matter. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...TRICKY), minLength: 1, maxLength: 20 }),
);

/** A value the template renders: not empty, not a dot segment (those are refused), within the length limit. */
const pathValue = anyString.filter((v) => v !== '.' && v !== '..' && v.length <= 1024);

/** C0 controls and DEL: the template would encode them, but a client's path value may not hold them. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A value a string placeholder accepts: a rendered value without control characters. */
const acceptedValue = pathValue.filter((v) => !CONTROL.test(v));

/** A template of 1 to 6 segments, literal or placeholder (named p0, p1, ...), maybe with a trailing slash. */
const templateArb = fc
  .record({
    kinds: fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
    literals: fc.array(fc.stringMatching(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,8}$/), { minLength: 6, maxLength: 6 }),
    trailingSlash: fc.boolean(),
  })
  .filter(({ literals }) => literals.every((l) => l !== '.' && l !== '..'))
  .map(({ kinds, literals, trailingSlash }) => {
    const segments = kinds.map((isParam, i) => (isParam ? `{p${i}}` : literals[i]!));
    return `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
  });

const segmentsOf = (path: string): string[] => path.slice(1).split('/');

/** A client that percent-encodes every byte, unreserved ones included. */
const encodeEveryByte = (value: string): string =>
  [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

function definition(path: string, params: Record<string, 'integer' | 'string'> = {}): ApiDefinition {
  return parseDefinition('prop', { method: 'GET', path, description: 'property test', params });
}

/** The rendered path: template segments kept, every placeholder one segment decoding to its value. */
function expectFaithful(path: string, template: string, values: Record<string, string>): void {
  const want = segmentsOf(template);
  const got = segmentsOf(path);
  expect(got).toHaveLength(want.length);
  for (const [i, segment] of want.entries()) {
    const name = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (name === undefined) {
      expect(got[i]).toBe(segment);
    } else {
      expect(got[i]).not.toMatch(/[/?#]/);
      expect(decodeURIComponent(got[i]!)).toBe(values[name]);
    }
  }
  // No URL parser on the way changes it: no dot segment to resolve, nothing left unencoded.
  const url = new URL(path, 'http://upstream.invalid');
  expect(url.pathname).toBe(path);
  expect(url.search).toBe('');
  expect(url.hash).toBe('');
}

describe('compilePathTemplate(...).render', () => {
  it('keeps the template segments and fills each placeholder with exactly one segment that decodes to its value', () => {
    fc.assert(
      fc.property(templateArb, fc.array(pathValue, { minLength: 6, maxLength: 6 }), (source, pool) => {
        const template = compilePathTemplate(source);
        const values = Object.fromEntries(template.names.map((name, i) => [name, pool[i]!]));
        expectFaithful(template.render(values), source, values);
      }),
      RUNS,
    );
  });

  it('refuses the dot segments and any value holding a lone surrogate instead of rendering them', () => {
    const template = compilePathTemplate('/v1/{a}/x');
    for (const dot of ['.', '..']) expect(() => template.render({ a: dot })).toThrow(PathTemplateError);
    const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ maxLength: 5 }), loneSurrogate, fc.string({ maxLength: 5 }), (before, lone, after) => {
        expect(() => template.render({ a: `${before}${lone}${after}` })).toThrow(PathTemplateError);
      }),
      RUNS,
    );
  });
});

describe('resolveUpstreamPath', () => {
  const grade = definition('/v1/pricebook/{id}/{grade}', { id: 'integer', grade: 'string' });

  it('a string value round-trips from a path segment, however the client encoded it, from the query and from the body', () => {
    fc.assert(
      fc.property(acceptedValue, (value) => {
        const fromSegment = resolveUpstreamPath(grade, { segments: ['7', encodeURIComponent(value)], rawQuery: '', body: undefined });
        expect(fromSegment.ok).toBe(true);
        if (!fromSegment.ok) return;
        expectFaithful(fromSegment.path, grade.path, { id: '7', grade: value });
        // The same value sent byte-by-byte encoded, in the query (form-encoded), in the body: the same upstream path.
        const everyByte = resolveUpstreamPath(grade, { segments: ['7', encodeEveryByte(value)], rawQuery: '', body: undefined });
        const fromQuery = resolveUpstreamPath(grade, { segments: ['7'], rawQuery: `grade=${encodeURIComponent(value)}`, body: undefined });
        const fromBody = resolveUpstreamPath(grade, { segments: [], rawQuery: '', body: { id: 7, grade: value } });
        for (const other of [everyByte, fromQuery, fromBody]) expect(other).toEqual({ ok: true, path: fromSegment.path, forwardQuery: '' });
      }),
      RUNS,
    );
  });

  it('a value holding a control character is refused from every source, naming the parameter', () => {
    const control = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), control, fc.string({ maxLength: 10 }), (before, c, after) => {
        const value = `${before}${c}${after}`;
        for (const result of [
          resolveUpstreamPath(grade, { segments: ['7', encodeURIComponent(value)], rawQuery: '', body: undefined }),
          resolveUpstreamPath(grade, { segments: ['7', encodeEveryByte(value)], rawQuery: '', body: undefined }),
          resolveUpstreamPath(grade, { segments: ['7'], rawQuery: `grade=${encodeURIComponent(value)}`, body: undefined }),
          resolveUpstreamPath(grade, { segments: [], rawQuery: '', body: { id: 7, grade: value } }),
        ]) {
          expect(result).toMatchObject({ ok: false, param: 'grade' });
        }
      }),
      RUNS,
    );
  });

  it('any safe non-negative integer round-trips, as a segment, a query value or a body number', () => {
    const byId = definition('/v1/asset/{id}', { id: 'integer' });
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const want = { ok: true, path: `/v1/asset/${n}`, forwardQuery: '' };
        expect(resolveUpstreamPath(byId, { segments: [String(n)], rawQuery: '', body: undefined })).toEqual(want);
        expect(resolveUpstreamPath(byId, { segments: [], rawQuery: `id=${n}`, body: undefined })).toEqual(want);
        expect(resolveUpstreamPath(byId, { segments: [], rawQuery: '', body: { id: n } })).toEqual(want);
      }),
      RUNS,
    );
  });

  it('an integer parameter refuses anything that is not plain digits', () => {
    const byId = definition('/v1/asset/{id}', { id: 'integer' });
    const notDigits = anyString.filter((v) => !/^[0-9]+$/.test(v));
    fc.assert(
      fc.property(notDigits, (value) => {
        const result = resolveUpstreamPath(byId, { segments: [encodeURIComponent(value)], rawQuery: '', body: undefined });
        expect(result.ok).toBe(false);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: -1 }), fc.double({ noInteger: true }), fc.constantFrom(Number.MAX_SAFE_INTEGER + 1, Infinity, NaN)), (n) => {
        expect(resolveUpstreamPath(byId, { segments: [], rawQuery: '', body: { id: n } }).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('never produces a path whose segment count differs from the template, whatever the raw input', () => {
    const rawSegment = fc.oneof(fc.string({ unit: fc.constantFrom(...TRICKY, '%2', '%zz', '%C0%AE', '%E2%80%A4', '%FF', '1', '9'), maxLength: 12 }), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(
        templateArb,
        fc.array(rawSegment, { maxLength: 8 }),
        fc.array(fc.tuple(fc.constantFrom('p0', 'p1', 'p2', 'x', '%zz', 'p0+'), rawSegment), { maxLength: 4 }),
        fc.option(fc.dictionary(fc.constantFrom('p0', 'p1', 'p3', '__proto__', 'constructor'), fc.oneof(anyString, fc.integer(), fc.constant(null))), { nil: undefined }),
        (source, segments, query, body) => {
          const def = definition(source);
          const rawQuery = query.map(([k, v]) => `${k}=${v}`).join('&');
          const result = resolveUpstreamPath(def, { segments, rawQuery, body });
          if (!result.ok) {
            expect(result.message.length).toBeGreaterThan(0);
            return;
          }
          expect(segmentsOf(result.path)).toHaveLength(segmentsOf(source).length);
          expect(new URL(result.path, 'http://upstream.invalid').pathname).toBe(result.path);
          for (const [i, segment] of segmentsOf(source).entries()) {
            if (!segment.startsWith('{')) expect(segmentsOf(result.path)[i]).toBe(segment);
            else expect(() => decodeURIComponent(segmentsOf(result.path)[i]!)).not.toThrow();
          }
        },
      ),
      RUNS,
    );
  });

  it('refuses the dot segments in every encoding and from every source', () => {
    const byName = definition('/v1/note/{slug}');
    for (const dots of ['.', '..', '%2e', '%2E', '%2e%2e', '%2E%2e', '.%2E']) {
      expect(resolveUpstreamPath(byName, { segments: [dots], rawQuery: '', body: undefined }).ok, dots).toBe(false);
      expect(resolveUpstreamPath(byName, { segments: [], rawQuery: `slug=${dots}`, body: undefined }).ok, dots).toBe(false);
    }
    for (const dots of ['.', '..']) expect(resolveUpstreamPath(byName, { segments: [], rawQuery: '', body: { slug: dots } }).ok).toBe(false);
  });
});
