import { describe, expect, it } from 'vitest';
import { PathTemplateError } from '../src/definitions/errors.js';
import { compilePathTemplate, pathTemplateProblems } from '../src/definitions/template.js';

describe('compilePathTemplate', () => {
  it('records the source and placeholder names in order', () => {
    const t = compilePathTemplate('/v1/pricebook/{id}/{grade}');
    expect(t.source).toBe('/v1/pricebook/{id}/{grade}');
    expect(t.names).toEqual(['id', 'grade']);
    expect(compilePathTemplate('/v1/asset').names).toEqual([]);
  });

  it('renders literals unchanged and fills each placeholder', () => {
    const t = compilePathTemplate('/v1/pricebook/{id}/{grade}');
    expect(t.render({ id: '7', grade: 'A' })).toBe('/v1/pricebook/7/A');
    expect(compilePathTemplate('/v1/asset').render({})).toBe('/v1/asset');
    expect(compilePathTemplate('/v1/asset/').render({})).toBe('/v1/asset/');
    expect(compilePathTemplate('/v1/{id}/').render({ id: '3' })).toBe('/v1/3/');
    expect(compilePathTemplate('/v1/a%20b/{id}').render({ id: '3' })).toBe('/v1/a%20b/3');
  });

  it.each([
    ['A/B', 'A%2FB'],
    ['A?B', 'A%3FB'],
    ['A#B', 'A%23B'],
    ['100%', '100%25'],
    ['%2F', '%252F'],
    ['A+B', 'A%2BB'],
    ['A B', 'A%20B'],
    ['é', '%C3%A9'],
    ['日本', '%E6%97%A5%E6%9C%AC'],
    ['a&b=c;d', 'a%26b%3Dc%3Bd'],
    ['...', '...'],
    ['\u0000', '%00'],
  ])('encodes %j as exactly one segment: %s', (value, encoded) => {
    const t = compilePathTemplate('/v1/x/{v}/y');
    expect(t.render({ v: value })).toBe(`/v1/x/${encoded}/y`);
  });

  it('throws when a value is missing, empty, a dot segment or not valid Unicode', () => {
    const t = compilePathTemplate('/v1/pricebook/{id}/{grade}');
    expect(() => t.render({ id: '1' })).toThrow(/missing value for path parameter "grade"/);
    expect(() => t.render({ id: '1', grade: '' })).toThrow(/empty value for path parameter "grade"/);
    expect(() => t.render({ id: '1', grade: '.' })).toThrow(PathTemplateError);
    expect(() => t.render({ id: '1', grade: '..' })).toThrow(/must not be "\." or "\.\."/);
    expect(() => t.render({ id: '1', grade: '\ud800' })).toThrow(/not valid Unicode/);
  });

  it('never takes a value from Object.prototype', () => {
    const t = compilePathTemplate('/v1/{constructor}/{toString}');
    expect(() => t.render({})).toThrow(/missing value for path parameter "constructor"/);
    expect(t.render({ constructor: 'a', toString: 'b' } as unknown as Record<string, string>)).toBe('/v1/a/b');
  });

  it('is frozen', () => {
    const t = compilePathTemplate('/v1/{id}');
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.names)).toBe(true);
  });
});

describe('invalid templates', () => {
  it.each([
    ['v1/asset', /must start with "\/"/],
    ['', /must start with "\/"/],
    ['/v1/asset?x=1', /must not contain "\?"/],
    ['/v1/asset#frag', /must not contain "#"/],
    ['/v1//asset', /"\/\/"/],
    ['/v1/../asset', /must not contain a "\.\." segment/],
    ['/v1/./asset', /must not contain a "\." segment/],
    ['/v1/a{id}', /placeholder must be a whole path segment/],
    ['/v1/{id}b', /placeholder must be a whole path segment/],
    ['/v1/{id}{x}', /placeholder must be a whole path segment/],
    ['/v1/{id', /placeholder must be a whole path segment/],
    ['/v1/id}', /placeholder must be a whole path segment/],
    ['/v1/{}', /placeholder \{\}: name must match/],
    ['/v1/{1id}', /placeholder \{1id\}: name must match/],
    ['/v1/{a-b}', /placeholder \{a-b\}: name must match/],
    ['/v1/{ id }', /name must match/],
    ['/v1/{__proto__}', /name must match/],
    ['/v1/{id}/x/{id}', /placeholder \{id\} appears more than once/],
    ['/v1/a b', /must be percent-encoded/],
    ['/v1/é', /must be percent-encoded/],
    ['/v1/100%', /must be percent-encoded/],
  ])('%j is refused', (path, message) => {
    expect(pathTemplateProblems(path).join('\n')).toMatch(message);
    expect(() => compilePathTemplate(path)).toThrow(PathTemplateError);
    expect(() => compilePathTemplate(path)).toThrow(message);
  });

  it('lists every problem at once', () => {
    expect(pathTemplateProblems('/v1/a{id}/../{x}/{x}')).toEqual([
      'segment "a{id}": a placeholder must be a whole path segment, like /{id}',
      'must not contain a ".." segment',
      'placeholder {x} appears more than once',
    ]);
  });

  it('accepts valid templates', () => {
    for (const p of ['/', '/v1/asset', '/v1/asset/{id}', '/v1/{_a1}/{B_2}', "/v1/a-b_c.d~e!$&'()*+,;=:@", '/v1/x/']) {
      expect(pathTemplateProblems(p)).toEqual([]);
    }
  });
});
