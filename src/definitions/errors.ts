// Every error the definitions module raises. Each carries a stable `code` so callers
// (start-up, the CLI) can tell a bad definition folder from a programming error.
import type { DefinitionProblem } from './types.js';

/**
 * One or more definition files (or the folder itself) are invalid. The message lists every
 * problem, one line per file: `apis/create.json: method: expected one of ...; params.idd: ...`.
 */
export class DefinitionError extends Error {
  readonly code = 'DEFINITION_INVALID';
  readonly problems: readonly DefinitionProblem[];

  constructor(problems: readonly DefinitionProblem[]) {
    super(formatProblems(problems));
    this.name = 'DefinitionError';
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}

/** A path template is malformed, or `render` was given a missing or unusable value. */
export class PathTemplateError extends Error {
  readonly code = 'PATH_TEMPLATE_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'PathTemplateError';
  }
}

/** Group problems by file, keeping first-seen file order: one line per file. */
function formatProblems(problems: readonly DefinitionProblem[]): string {
  if (problems.length === 0) return 'invalid API definitions';
  const byFile = new Map<string, string[]>();
  for (const p of problems) {
    const line = p.field ? `${p.field}: ${p.message}` : p.message;
    const list = byFile.get(p.file);
    if (list) list.push(line);
    else byFile.set(p.file, [line]);
  }
  return [...byFile].map(([file, lines]) => `${file}: ${lines.join('; ')}`).join('\n');
}
