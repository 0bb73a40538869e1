// Rows in doubt: their POST was sent but no answer says whether it created an asset (the
// process died, the connection broke, the gateway answered 502/504). Sending such a row
// again could create the device twice, so first look for it. Neither the Evercycle API nor
// the simulator can filter assets by serial number, so the lookup is one walk over
// get-all (only when some row is in doubt), matching every doubtful row at once.
//
// An asset is a candidate for a row when it was created no earlier than an hour before the
// row was sent (created_at; clocks may disagree a little), no other journal line already
// claims its id, and its serial number matches the row's (trimmed, case-insensitive; a row
// without a serial number matches every recent asset). Then:
//   - no candidate at all: verifiably not created, the row may be sent again;
//   - exactly one candidate, equal to the row in every field the create schema defines, the
//     row gives and the asset carries, and claimed by no other doubtful row: it is the row's
//     asset. Only create fields count: a row of an export also carries read-only columns
//     (id, created_at, status, organization_id, _extra keys...) that a new asset never
//     shares, and that would leave such a row in doubt on every run;
//   - anything else: unclear. The row is left in doubt, never resent; the result file asks
//     for a manual check and lists the candidates.
// The walk sees the inventory as it is now: a POST still being processed upstream at this
// very moment is not visible yet, which is why the run that loses an answer never
// verifies at once; the next run does (see import.ts).
import type { GatewayClient } from '../gateway-client.js';
import { isPlainObject } from './flatten.js';
import { walkPages } from './pages.js';
import type { JsonSchema } from './schema.js';

export const CLOCK_SKEW_MS = 60 * 60 * 1000;
const MAX_LISTED_CANDIDATES = 10;

export interface DoubtfulRow {
  line: number;
  body: Record<string, unknown>;
  /** When its last POST started (ms); undefined: unknown, every asset counts as recent. */
  sentAt?: number;
}

export type Verdict =
  | { line: number; kind: 'created'; id: string | number }
  | { line: number; kind: 'absent' }
  | { line: number; kind: 'unclear'; candidates: (string | number)[] };

/** Pure: feed it every asset of the inventory, then read the verdicts. */
export class DoubtMatcher {
  private readonly loose = new Map<number, (string | number)[]>();
  private readonly exact = new Map<number, (string | number)[]>();

  constructor(
    private readonly rows: readonly DoubtfulRow[],
    private readonly claimedIds: ReadonlySet<string>,
    /** The create body schema: only the fields it defines are compared (undefined: every field of the row). */
    private readonly schema?: JsonSchema,
  ) {
    for (const row of rows) {
      this.loose.set(row.line, []);
      this.exact.set(row.line, []);
    }
  }

  see(asset: unknown): void {
    if (!isPlainObject(asset) || (typeof asset.id !== 'number' && typeof asset.id !== 'string')) return;
    const id = asset.id;
    if (this.claimedIds.has(String(id))) return;
    const created = typeof asset.created_at === 'string' ? Date.parse(asset.created_at) : NaN;
    for (const row of this.rows) {
      if (row.sentAt !== undefined && !Number.isNaN(created) && created < row.sentAt - CLOCK_SKEW_MS) continue;
      if (!sameSerial(row.body.serial_number, asset.serial_number)) continue;
      this.loose.get(row.line)!.push(id);
      if (sameFields(row.body, asset, this.schema)) this.exact.get(row.line)!.push(id);
    }
  }

  verdicts(): Verdict[] {
    const first = this.rows.map((row): Verdict => {
      const loose = this.loose.get(row.line)!;
      const exact = this.exact.get(row.line)!;
      if (loose.length === 0) return { line: row.line, kind: 'absent' };
      if (loose.length === 1 && exact.length === 1) return { line: row.line, kind: 'created', id: exact[0]! };
      return { line: row.line, kind: 'unclear', candidates: loose.slice(0, MAX_LISTED_CANDIDATES) };
    });
    // Two doubtful rows pointing at the same asset cannot both own it.
    const owners = new Map<string, number>();
    for (const v of first) if (v.kind === 'created') owners.set(String(v.id), (owners.get(String(v.id)) ?? 0) + 1);
    return first.map((v) => (v.kind === 'created' && owners.get(String(v.id))! > 1 ? { line: v.line, kind: 'unclear', candidates: [v.id] } : v));
  }
}

/** Walk the whole inventory once and judge every doubtful row. */
export async function verifyDoubtful(
  client: GatewayClient,
  rows: readonly DoubtfulRow[],
  claimedIds: ReadonlySet<string>,
  options: { api: string; perPage: number; retries: number; schema?: JsonSchema; signal?: AbortSignal; onRetry?: (note: string) => void },
): Promise<Verdict[]> {
  const matcher = new DoubtMatcher(rows, claimedIds, options.schema);
  for await (const page of walkPages(client, { ...options, firstPage: 1 })) for (const asset of page.rows) matcher.see(asset);
  return matcher.verdicts();
}

function sameSerial(wanted: unknown, actual: unknown): boolean {
  if (typeof wanted !== 'string' || wanted.trim() === '') return true;
  return typeof actual === 'string' && actual.trim().toLowerCase() === wanted.trim().toLowerCase();
}

/**
 * Every field of the body that the schema defines and the asset also has holds the same
 * value (fields the API does not echo are not judged; an object the schema describes
 * field by field is compared field by field).
 */
function sameFields(body: Record<string, unknown>, asset: Record<string, unknown>, schema: JsonSchema | undefined): boolean {
  const properties = schema && isPlainObject(schema.properties) ? schema.properties : undefined;
  return Object.entries(body).every(([key, value]) => {
    if (!Object.hasOwn(asset, key)) return true;
    if (!schema) return deepEqual(asset[key], value);
    if (!properties || !Object.hasOwn(properties, key)) return true;
    const sub = properties[key];
    if (isPlainObject(sub) && isPlainObject(sub.properties) && isPlainObject(value) && isPlainObject(asset[key])) {
      return sameFields(value, asset[key], sub);
    }
    return deepEqual(asset[key], value);
  });
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
