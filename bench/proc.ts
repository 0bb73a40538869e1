// Memory and CPU time of a process (tree) from /proc, and the heap a gateway reports on /metrics.
import { readdir, readFile } from 'node:fs/promises';

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (VmHWM), bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a /proc/<pid>/status text (pure). */
export function parseProcStatus(text: string): ProcMemory | undefined {
  const kb = (field: string): number | undefined => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  return rss === undefined || hwm === undefined ? undefined : { rss, hwm };
}

/** The value of sample `name` in a Prometheus text exposition, e.g. `foo` or `foo{space="new"}` (pure). */
export function parsePromValue(text: string, sample: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) {
      const value = Number(line.slice(sample.length + 1).trim().split(' ')[0]);
      if (Number.isFinite(value)) return value;
    }
  }
  return undefined;
}

export interface HeapReading {
  /** nodejs_heap_size_used_bytes. */
  used: number;
  /**
   * The same less the young generation (new and new large-object spaces). Between two
   * scavenges the young generation holds anything from nothing to its whole size in
   * garbage, and an idle process runs no scavenge: that part of `used` is noise.
   */
  oldGeneration: number;
}

/** The heap figures of prom-client's process metrics (pure). */
export function parseHeap(text: string): HeapReading | undefined {
  const used = parsePromValue(text, 'nodejs_heap_size_used_bytes');
  if (used === undefined) return undefined;
  const young = ['new', 'new_large_object'].reduce((sum, space) => sum + (parsePromValue(text, `nodejs_heap_space_size_used_bytes{space="${space}"}`) ?? 0), 0);
  return { used, oldGeneration: used - young };
}

export async function procMemory(pid: number): Promise<ProcMemory | undefined> {
  try {
    return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `pid` and its descendants (the gateway's cluster workers), from the parent pid in /proc/<pid>/stat. */
export async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/** Samples the RSS of a process tree while a measurement runs, for its peak. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakTotal = 0;
  private pids: number[] = [];
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly rootPid: number,
    private readonly intervalMs = 200,
  ) {}

  async start(): Promise<void> {
    this.pids = await processTree(this.rootPid);
    const sample = async (): Promise<void> => {
      const memories = await Promise.all(this.pids.map(procMemory));
      const total = memories.reduce((sum, m) => sum + (m?.rss ?? 0), 0);
      if (total > this.peakTotal) this.peakTotal = total;
    };
    await sample();
    this.timer = setInterval(() => {
      this.sampling = sample();
    }, this.intervalMs);
  }

  /** Peak of the summed RSS of the tree seen while sampling, bytes. */
  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.sampling;
    return this.peakTotal;
  }
}

/** Peak RSS (VmHWM) of every process of the tree: the largest single one and the sum. */
export async function treePeak(rootPid: number): Promise<{ maxProcess: number; total: number; processes: number }> {
  const memories = (await Promise.all((await processTree(rootPid)).map(procMemory))).filter((m): m is ProcMemory => m !== undefined);
  return {
    maxProcess: Math.max(0, ...memories.map((m) => m.hwm)),
    total: memories.reduce((sum, m) => sum + m.hwm, 0),
    processes: memories.length,
  };
}

/**
 * CPU time of a /proc/<pid>/stat text in clock ticks (pure): utime + stime, plus cutime +
 * cstime (children it has reaped: a load generator that just exited still counts).
 */
export function parseCpuTicks(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  const ticks = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return ticks.every(Number.isFinite) ? ticks.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * Busy time of all CPUs together from the `cpu` line of /proc/stat, in clock ticks (pure):
 * user, nice, system and steal (another VM's). Interrupt time is left out: under load it is
 * mostly the benchmark's own loopback traffic, which no process is charged for.
 */
export function parseBusyTicks(procStat: string): number | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const [user, nice, system, , , , , steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = [user, nice, system, steal].reduce<number>((a, b) => a + (b ?? 0), 0);
  return Number.isFinite(busy) ? busy : undefined;
}

export async function busySeconds(ticksPerSecond: number): Promise<number> {
  return (parseBusyTicks(await readFile('/proc/stat', 'utf8')) ?? 0) / ticksPerSecond;
}

/**
 * Watches how much CPU the rest of the machine uses (all CPUs' busy time less that of
 * this process's tree: the benchmark's own processes), in cores. On a shared box a test
 * suite running meanwhile changes every figure; this says when it did.
 */
export class OtherCpu {
  private busy0 = 0;
  private ours0 = 0;
  private at0 = 0;

  constructor(private readonly ticksPerSecond: number) {}

  async start(): Promise<void> {
    this.at0 = performance.now();
    this.busy0 = await busySeconds(this.ticksPerSecond);
    this.ours0 = await treeCpuSeconds(process.pid, this.ticksPerSecond);
  }

  /** Cores used by other processes since start(). */
  async read(): Promise<number> {
    const busy = (await busySeconds(this.ticksPerSecond)) - this.busy0;
    const ours = (await treeCpuSeconds(process.pid, this.ticksPerSecond)) - this.ours0;
    const wall = (performance.now() - this.at0) / 1000;
    return wall > 0 ? Math.max(0, (busy - ours) / wall) : 0;
  }
}

/** CPU seconds used so far by a process tree (its live members). */
export async function treeCpuSeconds(rootPid: number, ticksPerSecond: number): Promise<number> {
  const ticks = await Promise.all(
    (await processTree(rootPid)).map(async (pid) => {
      try {
        return parseCpuTicks(await readFile(`/proc/${pid}/stat`, 'utf8')) ?? 0;
      } catch {
        return 0;
      }
    }),
  );
  return ticks.reduce((a, b) => a + b, 0) / ticksPerSecond;
}
