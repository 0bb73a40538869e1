// Reading a folder of definition files. All-or-nothing: every problem in every file is
// collected, and a set is returned only when all files are valid, so the gateway never
// serves a half-loaded folder.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DefinitionError } from './errors.js';
import { definitionProblems, parseDefinition } from './parse.js';
import { compareNames, createDefinitionSet } from './set.js';
import type { ApiDefinition, DefinitionProblem, DefinitionSet } from './types.js';

const EXTENSION = '.json';
/** Largest definition file read, in bytes: a definition is a few hundred bytes; a huge file is a mistake (or an attack on memory). */
export const MAX_DEFINITION_BYTES = 1024 * 1024;
/** Files read at once: a folder of thousands must not exhaust file descriptors. */
const READ_CONCURRENCY = 16;

/**
 * Load every `*.json` file directly in `dir` (other files and subfolders are ignored;
 * symlinks to files are followed, as in Kubernetes ConfigMap mounts). A missing or
 * unreadable folder, a folder without definition files, unreadable or invalid JSON and
 * invalid definitions all throw one DefinitionError listing every problem.
 */
export async function loadDefinitions(dir: string): Promise<DefinitionSet> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new DefinitionError([{ file: dir, message: `cannot read the API definitions folder: ${errorText(err)}` }]);
  }

  // Dotfiles (editor swap files, macOS `._name.json` resource forks) are never definitions.
  const candidates = entries.filter((e) => e.name.endsWith(EXTENSION) && !e.name.startsWith('.')).sort((a, b) => compareNames(a.name, b.name));
  const results = await mapLimited(candidates, READ_CONCURRENCY, async (entry): Promise<FileResult> => {
    const file = path.join(dir, entry.name);
    if (!entry.isFile() && !entry.isSymbolicLink()) return { kind: 'skip' };
    let info;
    try {
      // Follows symlinks: the size and kind of what the link points to.
      info = await stat(file);
    } catch (err) {
      return problem(file, `cannot read: ${errorText(err)}`);
    }
    if (!info.isFile()) return { kind: 'skip' };
    if (info.size > MAX_DEFINITION_BYTES) return problem(file, `file too large: ${info.size} bytes (a definition file may have at most ${MAX_DEFINITION_BYTES})`);
    return loadFile(file, entry.name.slice(0, -EXTENSION.length));
  });

  const problems: DefinitionProblem[] = [];
  const definitions: ApiDefinition[] = [];
  for (const r of results) {
    if (r.kind === 'problems') problems.push(...r.problems);
    else if (r.kind === 'ok') definitions.push(r.definition);
  }
  if (problems.length === 0 && definitions.length === 0) {
    problems.push({ file: dir, message: `no API definition files (*${EXTENSION}) in the folder` });
  }
  if (problems.length > 0) throw new DefinitionError(problems);
  return createDefinitionSet(definitions);
}

type FileResult = { kind: 'skip' } | { kind: 'ok'; definition: ApiDefinition } | { kind: 'problems'; problems: DefinitionProblem[] };

async function loadFile(file: string, name: string): Promise<FileResult> {
  let text: string;
  try {
    // fatal: invalid UTF-8 is reported rather than turned into U+FFFD; a leading BOM is dropped.
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
  } catch (err) {
    return problem(file, err instanceof TypeError ? 'not valid UTF-8' : `cannot read: ${errorText(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // Still report a bad file name alongside the JSON error.
    const nameProblems = definitionProblems(name, {}, file).filter((p) => p.field === 'file name');
    return { kind: 'problems', problems: [...nameProblems, { file, message: `invalid JSON: ${jsonErrorText(err, text)}` }] };
  }
  const problems = definitionProblems(name, json, file);
  if (problems.length > 0) return { kind: 'problems', problems };
  return { kind: 'ok', definition: parseDefinition(name, json, file) };
}

/** `fn` over `items`, at most `limit` at a time, results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function problem(file: string, message: string): FileResult {
  return { kind: 'problems', problems: [{ file, message }] };
}

/**
 * JSON.parse's message, with line and column added when it only gives a position. V8 quotes
 * the start of the text (`Unexpected token 'r', "root:x:0:0"... is not valid JSON`): that
 * quote is dropped, since problems are shown on the status page and the file may be anything.
 */
function jsonErrorText(err: unknown, text: string): string {
  const message = errorText(err).replace(/, ".*"(\.\.\.)? is not valid JSON$/s, ' (not valid JSON)');
  const m = /at position (\d+)/.exec(message);
  if (!m || /line \d+/.test(message)) return message;
  const position = Number(m[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
