// Command-line flags of `npm run bench` (pure).

export const SCENARIO_NAMES = ['get-1kb', 'get-300kb', 'post-2kb', 'latency', 'refresh', 'workers', 'soak'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Options {
  /** Seconds per measurement. */
  durationS: number;
  /** Seconds of discarded load before each measurement. */
  warmupS: number;
  connections: number;
  /** Seconds of steady load for the soak; 0 skips it. */
  soakS: number;
  /** Idle pause before each heap reading of the soak, seconds. */
  idleS: number;
  /** ExpiresIn the upstream gives in the refresh measurements, seconds. */
  refreshExpiresInS: number;
  only: ScenarioName[];
  quick: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** 50 connections: enough to saturate each target on this 2-core box without queueing far past it. */
export const DEFAULTS = { durationS: 10, warmupS: 3, connections: 50, soakS: 300, idleS: 10, refreshExpiresInS: 8 } as const;
const QUICK = { durationS: 3, warmupS: 1, soakS: 10, idleS: 2, refreshExpiresInS: 4 } as const;

export const USAGE = `npm run bench -- [flags]

  --duration S       seconds per measurement (default ${DEFAULTS.durationS}; a ${DEFAULTS.warmupS} s warm-up before each is discarded)
  --connections N    concurrent connections of the load generator (default ${DEFAULTS.connections})
  --soak S           seconds of steady load for the memory soak (default ${DEFAULTS.soakS}; 0 skips it)
  --only LIST        comma list of: ${SCENARIO_NAMES.join(', ')}
  --quick            a smoke run: ${QUICK.durationS} s measurements, ${QUICK.warmupS} s warm-ups, ${QUICK.soakS} s soak
  --help             this text`;

export function parseArgs(argv: string[]): Options | 'help' {
  const given: Partial<Record<'duration' | 'connections' | 'soak' | 'only', string>> = {};
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--quick') {
      quick = true;
      continue;
    }
    const match = /^--(duration|connections|soak|only)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`unknown argument '${arg}'`);
    const name = match[1] as keyof typeof given;
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    given[name] = value;
  }
  const base = quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;
  const durationS = given.duration === undefined ? base.durationS : number('--duration', given.duration, 1);
  return {
    durationS,
    warmupS: Math.min(base.warmupS, durationS),
    connections: given.connections === undefined ? base.connections : number('--connections', given.connections, 1),
    soakS: given.soak === undefined ? base.soakS : number('--soak', given.soak, 0),
    idleS: base.idleS,
    refreshExpiresInS: base.refreshExpiresInS,
    only: given.only === undefined ? [...SCENARIO_NAMES] : scenarios(given.only),
    quick,
  };
}

function number(flag: string, value: string, min: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new UsageError(`${flag} must be a whole number >= ${min} (got '${value}')`);
  return Number(value);
}

function scenarios(list: string): ScenarioName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError('--only needs at least one scenario');
  for (const name of names) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new UsageError(`--only: unknown scenario '${name}' (known: ${SCENARIO_NAMES.join(', ')})`);
  }
  return SCENARIO_NAMES.filter((n) => names.includes(n));
}
