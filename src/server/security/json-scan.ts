// One pass over a JSON body's raw bytes, before anything parses it: nesting depth and
// duplicate keys. Constant work per byte, no recursion, memory bounded by the depth limit
// plus the keys seen. A body of a million `[` costs one scan here instead of reaching a
// parser, the prototype-key scan or the schema validator, each of which walks the value.
//
// Duplicate keys matter because the body is forwarded as the bytes received: JSON.parse
// (and so the schema check) keeps the LAST value of a repeated key, while an upstream may
// keep the first, so `{"price":"free","price":1}` would be validated as one thing and
// acted on as another. Keys are compared decoded (`"\u0070rice"` is `"price"`).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

export interface JsonScan {
  /** Arrays/objects nest more than the limit (the scan stopped there). */
  tooDeep: boolean;
  /** The first key found twice in one object, decoded; undefined when there is none. */
  duplicateKey: string | undefined;
}

/**
 * Scan the JSON text in `bytes`: is it nested more than `maxDepth` levels (`{}` and `[]`
 * are one level, a scalar none), and does any object repeat a key? Brackets and commas
 * inside strings do not count. Working on UTF-8 bytes is exact because `"`, `\`, `,`, `:`
 * and brackets never occur inside a multi-byte sequence.
 *
 * The text need not be valid JSON: the parser judges that afterwards. The depth answer
 * holds for any text; the duplicate-key answer is exact for valid JSON and meaningless
 * otherwise, so only use it once the text has parsed.
 */
export function scanJson(bytes: Buffer, maxDepth: number): JsonScan {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  // The next string is a key: just after `{`, or after `,` inside an object.
  let expectKey = false;
  let duplicateKey: string | undefined;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) {
        if (bytes[i] === BACKSLASH) {
          escaped = true;
          i++;
        }
      }
      const keys = open.at(-1);
      if (expectKey && keys && duplicateKey === undefined) {
        const key = decodeKey(bytes, start, i, escaped);
        if (key !== undefined) {
          if (keys.has(key)) duplicateKey = key;
          else keys.add(key);
        }
      }
      expectKey = false;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (open.length >= maxDepth) return { tooDeep: true, duplicateKey };
      open.push(b === OPEN_OBJECT ? new Set() : null);
      expectKey = b === OPEN_OBJECT;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      open.pop();
      expectKey = false;
    } else if (b === COMMA) {
      expectKey = open.at(-1) instanceof Set;
    } else if (b === COLON) {
      expectKey = false;
    }
  }
  return { tooDeep: false, duplicateKey };
}

/**
 * The key whose string token runs from the quote at `start` to the quote at `end`.
 * Escapes are decoded by JSON.parse of the token alone; an undecodable token (invalid
 * escape, raw control character, unterminated) makes the whole text invalid JSON, which
 * the parser refuses, so it is simply not recorded.
 */
function decodeKey(bytes: Buffer, start: number, end: number, escaped: boolean): string | undefined {
  if (!escaped) return bytes.toString('utf8', start + 1, end);
  try {
    return JSON.parse(bytes.toString('utf8', start, end + 1)) as string;
  } catch {
    return undefined;
  }
}
