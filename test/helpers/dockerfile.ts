// Just enough of the Dockerfile and .dockerignore formats to check deploy/Dockerfile without
// a Docker engine: instructions (continuation lines joined, comments dropped), stages, and
// the .dockerignore matching rules (last matching pattern wins, `!` re-includes, a pattern
// that matches a folder matches everything under it).
import path from 'node:path';

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const instruction = { op: match[1]!.toUpperCase(), args: match[2]!.trim() };
    if (instruction.op === 'FROM') stages.push({ name: /\bAS\s+(\S+)$/i.exec(instruction.args)?.[1], instructions: [] });
    else if (instruction.op !== 'ARG' || stages.length > 0) stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/** The arguments of the last `op` of a stage, or undefined. */
export function last(stage: Stage, op: string): string | undefined {
  return stage.instructions.filter((i) => i.op === op).at(-1)?.args;
}

/** WORKDIR in force at each instruction (absolute; `/` before the first). */
export function workdirs(stage: Stage): string[] {
  let dir = '/';
  return stage.instructions.map((i) => {
    if (i.op === 'WORKDIR') dir = path.posix.resolve(dir, i.args);
    return dir;
  });
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  /** Absolute destination. */
  dest: string;
  /** Where each source lands (Docker's rule: into `dest` when it ends in / or there are several sources, else as `dest`). */
  targets: [source: string, target: string][];
}

/** The COPY instructions of a stage (shell form), destinations made absolute. */
export function copies(stage: Stage): Copy[] {
  const dirs = workdirs(stage);
  return stage.instructions.flatMap((instruction, i) => {
    if (instruction.op !== 'COPY') return [];
    const words = instruction.args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
    const sources = paths.slice(0, -1);
    const dest = path.posix.resolve(dirs[i]!, paths.at(-1)!);
    const intoDir = paths.at(-1)!.endsWith('/') || sources.length > 1;
    return [{ from, sources, dest, targets: sources.map((s): [string, string] => [s, intoDir ? path.posix.join(dest, path.posix.basename(s)) : dest]) }];
  });
}

/** ENV assignments of a stage, `ENV A=1 B=2` and `ENV A 1` forms (no quoted spaces). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { op, args } of stage.instructions) {
    if (op !== 'ENV') continue;
    if (!args.split(/\s+/)[0]!.includes('=')) {
      const [key, ...value] = args.split(/\s+/);
      env[key!] = value.join(' ');
      continue;
    }
    for (const pair of args.split(/\s+/)) env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
  }
  return env;
}

/** Whether .dockerignore keeps `file` (a path relative to the build context) out of the context. */
export function dockerignored(file: string, dockerignore: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  let excluded = false;
  for (const pattern of patterns) {
    const negate = pattern.startsWith('!');
    const clean = path.posix.normalize((negate ? pattern.slice(1) : pattern).replace(/^\/+/, ''));
    const glob = clean
      .split('**')
      .map((part) => part.split('*').map((s) => s.replace(/[.+^${}()|[\]\\?]/g, (c) => (c === '?' ? '[^/]' : `\\${c}`))).join('[^/]*'))
      .join('.*');
    if (new RegExp(`^${glob}(?:/.*)?$`).test(file)) excluded = !negate;
  }
  return excluded;
}
