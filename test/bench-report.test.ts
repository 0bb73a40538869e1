// The pure parts of `npm run bench` (bench/): flags, the latency histogram, target checks,
// table formatting, /proc and /metrics parsing, wrk's summary, and the upstream's
// duplicate-refresh accounting. The benchmark itself is run with `npm run bench`, not here.
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../bench/args.js';
import { Histogram } from '../bench/histogram.js';
import type { LoadResult } from '../bench/load.js';
import { parseBusyTicks, parseCpuTicks, parseHeap, parseProcStatus, parsePromValue } from '../bench/proc.js';
import { formatTable, renderTargets } from '../bench/report.js';
import type { Measurement } from '../bench/results.js';
import { checkTargets, growthPct, LIMITS, ratio } from '../bench/targets.js';
import { TokenIssuer } from '../bench/tokens.js';
import { parseWrkOutput, wrkArgs, wrkScript } from '../bench/wrk.js';

const result = (rps: number): LoadResult => ({
  tool: 'autocannon',
  durationS: 10,
  requests: rps * 10,
  rps,
  latencyMs: { p50: 1, p99: 2, p999: 3, max: 4, mean: 1, count: rps * 10 },
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  statusCounts: {},
});
const m = (scenario: string, target: string, rps: number): Measurement => ({ scenario, target, result: result(rps) });

describe('bench flags', () => {
  it('has defaults, --quick shortens everything, and flags win over --quick', () => {
    expect(parseArgs([])).toMatchObject({ durationS: 10, connections: 50, soakS: 300, quick: false });
    expect(parseArgs(['--quick'])).toMatchObject({ durationS: 3, soakS: 10, quick: true });
    expect(parseArgs(['--quick', '--soak', '0', '--duration=5'])).toMatchObject({ durationS: 5, soakS: 0 });
    expect(parseArgs(['--only', 'soak,get-1kb'])).toMatchObject({ only: ['get-1kb', 'soak'] });
    expect(parseArgs(['--help'])).toBe('help');
  });

  it('refuses what it does not know', () => {
    expect(() => parseArgs(['--only', 'nope'])).toThrow(UsageError);
    expect(() => parseArgs(['--duration', '0'])).toThrow(/--duration/);
    expect(() => parseArgs(['--connections'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument/);
  });
});

describe('latency histogram', () => {
  it('gives quantiles within 0.5% and keeps sub-millisecond precision', () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 100); // 0.01 .. 10 ms
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeGreaterThanOrEqual(5);
    expect(s.p50).toBeLessThanOrEqual(5 * 1.005);
    expect(s.p99).toBeCloseTo(9.9, 1);
    expect(s.max).toBe(10);
    expect(s.mean).toBeCloseTo(5.005, 3);
    expect(new Histogram().summary().p99).toBe(0);
  });
});

describe('targets', () => {
  it('passes and fails on the issue thresholds, and says what was not measured', () => {
    const checks = checkTargets({
      measurements: [m('get-1kb', 'direct', 10_000), m('get-1kb', 'passthrough', 6000), m('get-1kb', 'gateway', 5500), m('get-300kb', 'passthrough', 1000), m('get-300kb', 'gateway', 850)],
      latency: { rate: 3000, passthrough: result(3000), gateway: result(3000), addedP99Ms: 1.5, otherCores: { passthrough: 0, gateway: 0 } },
      memory: [
        { label: 'main', workers: 1, peakRssBytes: 100 * 1024 * 1024, peakRssTotalBytes: 100 * 1024 * 1024 },
        { label: 'w2', workers: 2, peakRssBytes: 500 * 1024 * 1024, peakRssTotalBytes: 900 * 1024 * 1024 },
      ],
      soak: undefined,
    });
    expect(checks.map((c) => [c.measured, c.pass])).toEqual([
      ['91.7%', true],
      ['55.0%', false],
      ['1.50 ms', true],
      ['85.0%', false],
      ['100.0 MB', true],
      ['not measured', null],
    ]);
    expect(renderTargets(checks)).toMatch(/300 KB page throughput vs passthrough\s+>= 90.0%\s+85.0%\s+FAIL/);
  });

  it('computes ratios and growth', () => {
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(ratio(1, 4)).toBe(0.25);
    expect(growthPct(100, 104)).toBeCloseTo(4);
    expect(growthPct(0, 5)).toBe(0);
    expect(LIMITS.peakRssBytes).toBe(120 * 1024 * 1024);
  });
});

describe('tables', () => {
  it('aligns columns: the first left, the others right unless told', () => {
    expect(formatTable(['name', 'req/s'], [['a', '1,000'], ['longer', '7']])).toBe(['name    req/s', '------  -----', 'a       1,000', 'longer      7'].join('\n'));
    expect(formatTable(['x', 'y'], [['1', 'ab']], ['right', 'left'])).toBe(['x  y', '-  --', '1  ab'].join('\n'));
  });
});

describe('/proc and /metrics parsing', () => {
  it('reads VmRSS/VmHWM, CPU ticks and busy ticks', () => {
    expect(parseProcStatus('Name:\tnode\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n')).toEqual({ rss: 1024 * 1024, hwm: 2048 * 1024 });
    expect(parseProcStatus('Name:\tzombie\n')).toBeUndefined();
    // pid (comm with ) and spaces) state ppid ... utime stime cutime cstime
    const stat = '42 (node (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 11 0';
    expect(parseCpuTicks(stat)).toBe(310);
    expect(parseBusyTicks('cpu  100 5 50 1000 7 3 9 2 0 0\ncpu0 1 2 3 4\n')).toBe(157);
  });

  it('reads the heap from prom-client metrics, with and without the young generation', () => {
    const text = [
      '# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.',
      'nodejs_heap_size_used_bytes 50000000',
      'nodejs_heap_space_size_used_bytes{space="new"} 8000000',
      'nodejs_heap_space_size_used_bytes{space="old"} 40000000',
      'nodejs_heap_space_size_used_bytes{space="new_large_object"} 1000000',
    ].join('\n');
    expect(parsePromValue(text, 'nodejs_heap_size_used_bytes')).toBe(50_000_000);
    expect(parsePromValue(text, 'nodejs_heap_space_size_used_bytes{space="old"}')).toBe(40_000_000);
    expect(parseHeap(text)).toEqual({ used: 50_000_000, oldGeneration: 41_000_000 });
    expect(parseHeap('nothing 1')).toBeUndefined();
  });
});

describe('wrk', () => {
  it('builds the command and script, and reads the summary in ms', () => {
    const job = { url: 'http://127.0.0.1:1/api/create', method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{}', connections: 50, durationS: 10 };
    expect(wrkArgs(job, '/tmp/s.lua')).toEqual(['-t', '1', '-c', '50', '-d', '10s', '--timeout', '10s', '-s', '/tmp/s.lua', 'http://127.0.0.1:1/api/create']);
    const script = wrkScript(job, '/tmp/body.json');
    expect(script).toContain('wrk.method = "POST"');
    expect(script).toContain('wrk.headers["content-type"] = "application/json"');
    expect(script).toContain('io.open("/tmp/body.json", "rb")');
    const out = 'Running 10s test\nBENCH_JSON {"requests":50000,"duration_us":10000000,"status_errors":2,"connect":0,"read":1,"write":0,"timeout":3,"p50":900.5,"p99":4000,"p999":9000,"max":12000,"mean":1000}\n';
    expect(parseWrkOutput(out)).toMatchObject({ tool: 'wrk', requests: 50_000, rps: 5000, non2xx: 2, errors: 1, timeouts: 3, latencyMs: { p50: 0.9005, p99: 4, p999: 9 } });
    expect(() => parseWrkOutput('no summary')).toThrow(/no summary/);
  });
});

describe("the fast upstream's tokens", () => {
  it('counts one refresh per expiry, and a second refresh of a fresh token as a duplicate', () => {
    let now = 1_000_000;
    const issuer = new TokenIssuer(8, () => now);
    const signIn = issuer.signIn();
    expect(issuer.check(signIn.IdToken, signIn.AccessToken)).toBe('ok');
    now += 2000; // a quarter of the lifetime: the gateway's background renewal
    const first = issuer.refresh(signIn.RefreshToken)!;
    expect(first.RefreshToken).toBeUndefined(); // Cognito sends none on refresh
    now += 50; // another refresh right after: the same expiry renewed twice
    issuer.refresh(signIn.RefreshToken);
    now += 10_000;
    expect(issuer.check(first.IdToken, first.AccessToken)).toBe('expired');
    expect(issuer.check('forged', 'x')).toBe('unknown');
    expect(issuer.refresh('unknown refresh token')).toBeUndefined();
    expect(issuer.snapshot()).toMatchObject({ signIns: 1, refreshes: 2, duplicateRefreshes: 1, expiredPresented: 1, unknownPresented: 1 });
    const { idToken, accessToken } = issuer.staticPair();
    expect(issuer.check(idToken, accessToken)).toBe('ok');
    expect(idToken.length).toBeGreaterThan(900); // real-sized headers
  });
});
