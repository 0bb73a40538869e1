// Duplicate JSON keys: the gateway validated the LAST value of a repeated key (JSON.parse
// keeps it) but forwarded the raw bytes, so `{"price":"free","price":1}` passed the schema
// and reached an upstream that may keep the first value. Any object repeating a key,
// compared decoded, is now refused. Live cases (nothing reaches the simulator) are in the
// bad-input suite, category "duplicate keys"; these pin the scan and the answer.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../src/errors.js';
import { readJsonBody } from '../src/server/body.js';
import { scanJson } from '../src/server/security/json-scan.js';

const duplicateIn = (text: string) => scanJson(Buffer.from(text), 32).duplicateKey;

describe('scanJson: duplicate keys', () => {
  it.each([
    ['{"price":"free","price":1}', 'price'],
    ['{"price":1,"\\u0070rice":2}', 'price'],
    ['{"\\u0070rice":1,"pric\\u0065":2}', 'price'],
    ['{"a":{"b":1,"b":2}}', 'b'],
    ['[{"x":1},{"x":1,"x":2}]', 'x'],
    ['{"l":[[{"k":{"z":0,"z":0}}]]}', 'z'],
    ['{ "a" :1 ,\n "a":2}', 'a'],
    ['{"":1,"":2}', ''],
    ['{"a\\"b":1,"a\\u0022b":2}', 'a"b'],
    ['{"é":1,"\\u00e9":2}', 'é'],
    ['{"😀":1,"\\ud83d\\ude00":2}', '😀'],
    ['{"a":1,"b":{"a":1},"b":2}', 'b'],
    ['{"a":1,"a":2,"b":1,"b":2}', 'a'],
    ['{"a":"}","s":"{\\"a\\":1,","a":2}', 'a'],
  ])('%s repeats %j', (text, key) => {
    expect(duplicateIn(text)).toBe(key);
  });

  it.each([
    '{"a":1,"b":2}',
    '{"a":{"a":{"a":1}}}',
    '[{"a":1},{"a":1}]',
    '{"a":[{"b":1},{"b":1}],"b":2}',
    '{"a":["a","a"],"b":"a"}',
    '{"price":1,"Price":2}',
    '{"a\\\\b":1,"a\\\\\\\\b":2}',
    '{"a/b":1,"a\\/c":2}',
    '{"a":[1,2],"b":{"c":[3,{"a":4}]},"c":5}',
    '{"a":"b","b":"a"}',
    '"a","a"',
    '[]',
    '{}',
    '1',
  ])('%s has none', (text) => {
    expect(duplicateIn(text)).toBeUndefined();
  });

  it('stops recording keys at the first duplicate but still measures depth', () => {
    expect(scanJson(Buffer.from(`{"a":1,"a":2,"b":${'['.repeat(40)}}`), 32)).toEqual({ tooDeep: true, duplicateKey: 'a' });
    expect(scanJson(Buffer.from('{"a":1,"a":2,"b":[[]]}'), 32)).toEqual({ tooDeep: false, duplicateKey: 'a' });
  });

  it('scans a megabyte of distinct keys and a megabyte of escaped ones in well under a second', () => {
    const keys = Array.from({ length: 80_000 }, (_, i) => `"k${i}":1`).join(',');
    const escaped = Array.from({ length: 50_000 }, (_, i) => `"\\u006b${i}":1`).join(',');
    const started = performance.now();
    expect(duplicateIn(`{${keys}}`)).toBeUndefined();
    expect(duplicateIn(`{${escaped}}`)).toBeUndefined();
    expect(duplicateIn(`{${keys},"k79999":2}`)).toBe('k79999');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('readJsonBody and duplicate keys', () => {
  const read = (text: string, contentType: string | undefined = 'application/json') => readJsonBody(Buffer.from(text), contentType, { maxDepth: 32 });
  const errorOf = (fn: () => unknown): GatewayError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof GatewayError) return err;
      throw err;
    }
    throw new Error('expected a GatewayError');
  };

  it('refuses with 400 naming the key, never a value', () => {
    const err = errorOf(() => read('{"price":"free","price":"s3cret-value"}'));
    expect(err.statusCode).toBe(400);
    expect(err.message).toBe('request body has a duplicate key "price"');
  });

  it('quotes an odd key safely and bounds a long one', () => {
    expect(errorOf(() => read('{"a\\nb":1,"a\\nb":2}')).message).toBe('request body has a duplicate key "a\\nb"');
    const long = 'k'.repeat(500);
    expect(errorOf(() => read(`{"${long}":1,"${long}":2}`)).message).toBe(`request body has a duplicate key "${'k'.repeat(64)}..."`);
  });

  it('applies whatever the declared type, when the body parses as JSON', () => {
    expect(errorOf(() => read('{"a":1,"a":2}', undefined)).message).toMatch(/duplicate key "a"/);
    expect(errorOf(() => read('{"a":1,"a":2}', 'application/x-www-form-urlencoded')).message).toMatch(/duplicate key "a"/);
  });

  it('leaves invalid JSON, too-deep bodies and prototype keys their own answers', () => {
    expect(errorOf(() => read('{"a":1,"a":2')).message).toMatch(/^request body is not valid JSON/);
    expect(errorOf(() => read('{"a":1,"a":2,', 'text/plain')).statusCode).toBe(415);
    expect(errorOf(() => read(`{"a":1,"a":${'['.repeat(33)}`)).message).toMatch(/nested too deeply/);
    expect(errorOf(() => read('{"__proto__":{},"__proto__":{}}')).message).toMatch(/__proto__/);
  });

  it('accepts the same key in different objects', () => {
    expect(read('{"price":1,"a":{"price":2},"b":[{"price":3},{"price":4}]}').value).toEqual({ price: 1, a: { price: 2 }, b: [{ price: 3 }, { price: 4 }] });
  });
});
