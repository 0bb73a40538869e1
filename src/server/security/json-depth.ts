// JSON nesting depth, measured on the raw bytes before anything parses them: one pass,
// constant memory, no recursion. A body of a million `[` costs one scan here instead of
// reaching a parser, the prototype-key scan or the schema validator, each of which walks
// the parsed value.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether the JSON text in `bytes` nests arrays and objects more than `max` levels deep
 * (`{}` and `[]` are one level, a scalar none). Brackets inside strings do not count. The
 * text need not be valid JSON: the parser judges that afterwards. Working on UTF-8 bytes is
 * exact because `"`, `\` and brackets never occur inside a multi-byte sequence.
 */
export function jsonDepthExceeds(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if ((b === CLOSE_ARRAY || b === CLOSE_OBJECT) && depth > 0) {
      depth--;
    }
  }
  return false;
}
