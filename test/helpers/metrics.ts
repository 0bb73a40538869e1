// Reading a gateway's GET /metrics: the Prometheus text exposition format parsed into
// samples, and look-ups by metric name and labels.
import type http from 'node:http';
import { rawRequest } from './raw-http.js';

export interface Sample {
  /** The sample's name, suffix included (`..._bucket`, `..._sum`, `..._count`). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  text: string;
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  /** `# HELP` of each metric family. */
  help: Map<string, string>;
  /** The value of the one sample with exactly these labels; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum over the samples whose labels include `labels` (0 when none). */
  sum(name: string, labels?: Record<string, string>): number;
  /** The samples of `name` whose labels include `labels`. */
  series(name: string, labels?: Record<string, string>): Sample[];
}

/** GET /metrics; throws unless it answers 200. */
export async function scrape(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<Scrape> {
  const res = await rawRequest(url, 'GET', '/metrics', { headers });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.text}`);
  return parseMetrics(res.text);
}

/** Scrape until `ok` holds (for what the gateway records after the client got its answer). */
export async function scrapeUntil(url: string, ok: (s: Scrape) => boolean, what: string, timeoutMs = 3000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(url);
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// name, optional {labels}, value (an optional timestamp is not used by prom-client).
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;

export function parseMetrics(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      (comment[1] === 'TYPE' ? types : help).set(comment[2]!, comment[3]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3]!) });
  }
  const includes = (s: Sample, labels: Record<string, string>): boolean => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  const series = (name: string, labels: Record<string, string> = {}): Sample[] => samples.filter((s) => s.name === name && includes(s, labels));
  return {
    text,
    samples,
    types,
    help,
    series,
    value(name, labels = {}) {
      const exact = series(name, labels).filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
      if (exact.length > 1) throw new Error(`${exact.length} samples of ${name} with labels ${JSON.stringify(labels)}`);
      return exact[0]?.value;
    },
    sum: (name, labels = {}) => series(name, labels).reduce((total, s) => total + s.value, 0),
  };
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let end = 0;
  for (let m = LABEL.exec(text); m; m = LABEL.exec(text)) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    end = LABEL.lastIndex;
  }
  if (end !== text.length) throw new Error(`malformed labels: ${line}`);
  return labels;
}

/** A sample value. Prometheus reads NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(text: string): number {
  if (/^[+-]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`not a number: ${text}`);
  return value;
}
