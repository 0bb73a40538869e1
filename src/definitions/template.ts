// `{param}` path templates: checked and parsed once, rendered per request.
// Each value fills exactly one path segment and is percent-encoded exactly once, so a
// value can never add a segment, a query or a fragment to the upstream URL.
import { PathTemplateError } from './errors.js';
import { PLACEHOLDER_NAME_PATTERN, type PathTemplate } from './types.js';

type Part = { kind: 'literal'; text: string } | { kind: 'param'; name: string };

/** RFC 3986 `pchar`s (unreserved, sub-delims, `:`, `@`) or a valid `%XX` escape. */
const LITERAL_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$/;
const PLACEHOLDER_SEGMENT = /^\{([^{}]*)\}$/;
/** Would shadow Object.prototype when used as a key of a params object. */
const FORBIDDEN_PLACEHOLDER = '__proto__';

/**
 * Every problem with a path template, as human-readable sentences; empty when valid.
 * Rules: starts with `/`; no `?`, `#`, `//`, `.`/`..` segments; a placeholder is a whole
 * segment `{name}` with an identifier name, each name once; literal segments use only
 * characters allowed in a URL path (anything else must be written percent-encoded).
 */
export function pathTemplateProblems(path: string): string[] {
  const problems: string[] = [];
  if (!path.startsWith('/')) problems.push('must start with "/"');
  if (path.includes('?')) problems.push('must not contain "?" (document query parameters under "query")');
  if (path.includes('#')) problems.push('must not contain "#"');
  if (path.includes('//')) problems.push('must not contain an empty segment ("//")');
  if (problems.length > 0) return problems;

  const seen = new Set<string>();
  for (const segment of path.slice(1).split('/')) {
    if (segment === '.' || segment === '..') {
      problems.push(`must not contain a "${segment}" segment`);
      continue;
    }
    if (!segment.includes('{') && !segment.includes('}')) {
      if (!LITERAL_SEGMENT.test(segment)) {
        problems.push(`segment ${JSON.stringify(segment)} contains characters that must be percent-encoded`);
      }
      continue;
    }
    const m = PLACEHOLDER_SEGMENT.exec(segment);
    const name = m?.[1];
    if (name === undefined) {
      problems.push(`segment ${JSON.stringify(segment)}: a placeholder must be a whole path segment, like /{id}`);
    } else if (!PLACEHOLDER_NAME_PATTERN.test(name) || name === FORBIDDEN_PLACEHOLDER) {
      problems.push(`placeholder {${name}}: name must match ${PLACEHOLDER_NAME_PATTERN.source} (and not be __proto__)`);
    } else if (seen.has(name)) {
      problems.push(`placeholder {${name}} appears more than once`);
    } else {
      seen.add(name);
    }
  }
  return problems;
}

/** Parse a template once; throws PathTemplateError listing every problem when it is invalid. */
export function compilePathTemplate(path: string): PathTemplate {
  if (typeof path !== 'string') throw new PathTemplateError('path template must be a string');
  const problems = pathTemplateProblems(path);
  if (problems.length > 0) {
    throw new PathTemplateError(`invalid path template ${JSON.stringify(path)}: ${problems.join('; ')}`);
  }
  const parts: Part[] = path
    .slice(1)
    .split('/')
    .map((segment) => {
      const name = PLACEHOLDER_SEGMENT.exec(segment)?.[1];
      return name === undefined ? { kind: 'literal', text: segment } : { kind: 'param', name };
    });
  const names = parts.flatMap((p) => (p.kind === 'param' ? [p.name] : []));

  function render(values: Record<string, string>): string {
    const out: string[] = [];
    for (const part of parts) {
      if (part.kind === 'literal') {
        out.push(part.text);
        continue;
      }
      // hasOwn: a value must never come from Object.prototype (e.g. a placeholder named `constructor`).
      const value: unknown = Object.hasOwn(values, part.name) ? values[part.name] : undefined;
      if (typeof value !== 'string') throw new PathTemplateError(`missing value for path parameter "${part.name}"`);
      if (value === '') throw new PathTemplateError(`empty value for path parameter "${part.name}"`);
      // encodeURIComponent leaves dots alone; a lone "." or ".." would be normalised away upstream.
      if (value === '.' || value === '..') {
        throw new PathTemplateError(`path parameter "${part.name}" must not be "." or ".."`);
      }
      try {
        out.push(encodeURIComponent(value));
      } catch {
        throw new PathTemplateError(`path parameter "${part.name}" is not valid Unicode (lone surrogate)`);
      }
    }
    return `/${out.join('/')}`;
  }

  return Object.freeze({ source: path, names: Object.freeze(names) as string[], render });
}
