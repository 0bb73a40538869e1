// Deterministic seed data. Every value comes from the fixed catalog, a seeded PRNG and
// a fixed base date: no clock and no Math.random, so every simulator starts with exactly
// the same organizations, assets, requests, shipments, programs and pricebook.
// Each call builds fresh objects; the caller (the store) owns and may mutate them.
import { makeAsset } from './asset.js';
import {
  ACCOUNT_PROFILES,
  ASSET_TYPES,
  DAMAGE_TYPES,
  DEVICE_MODELS,
  FIRST_NAMES,
  GRADE_FACTORS,
  LAST_NAMES,
  ORG_PROFILES,
  SHIPPING_CARRIERS,
  type DeviceModel,
  type OrgProfile,
  type SerialStyle,
} from './catalog.js';
import { createRng, type Rng } from './prng.js';
import type {
  Asset,
  AssetRequest,
  AssetStatus,
  Organization,
  PricebookEntry,
  Program,
  RequestStatus,
  RequestType,
  SeedData,
  TrackingItem,
  TrackingStatus,
} from './types.js';

/** "Now" of the seeded world: every seeded timestamp is at or before it. */
export const SEED_BASE_MS = Date.UTC(2025, 5, 2, 12, 0, 0);
const SEED = 0x0ecc1e25;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Latest seeded timestamp: one minute before the base. */
const LATEST = SEED_BASE_MS - MINUTE;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoDate = (ms: number): string => iso(ms).slice(0, 10);

/** Share of seeded assets in each status. */
const STATUS_WEIGHTS: readonly (readonly [AssetStatus, number])[] = [
  ['in_use', 34],
  ['pending', 10],
  ['confirmed', 14],
  ['in_transit', 10],
  ['received', 10],
  ['processed', 22],
];
const TYPE_WEIGHTS: readonly (readonly [number, number])[] = [
  [1, 50],
  [2, 30],
  [3, 12],
  [4, 8],
];
const GRADE_WEIGHTS: readonly (readonly [string, number])[] = [
  ['A', 25],
  ['B', 40],
  ['C', 25],
  ['D', 10],
];
const DAMAGED_GRADE_WEIGHTS: readonly (readonly [string, number])[] = [
  ['C', 55],
  ['D', 45],
];

/** An asset under construction: times as numbers, ids assigned once all times are final. */
interface Draft {
  org: OrgProfile;
  index: number;
  createdMs: number;
  confirmedMs: number | null;
  updatedMs: number;
  status: AssetStatus;
  grade: string | null;
  asset: Asset;
  request: RequestDraft | null;
}

interface RequestDraft {
  org: OrgProfile;
  type: RequestType;
  status: RequestStatus;
  createdMs: number;
  drafts: Draft[];
  notes: string | null;
  request: AssetRequest | null;
}

export function buildSeed(): SeedData {
  const organizations = ORG_PROFILES.map(
    (p): Organization => ({
      id: p.id,
      name: p.name,
      type: p.type,
      service_provider_org_id: p.type === 'customer' ? ORG_PROFILES[0]!.id : null,
      country: p.offices[0]!.country,
      created_at: p.createdAt,
    }),
  );

  const assetRng = createRng(SEED);
  const serials = new Set<string>();
  const drafts: Draft[] = [];
  for (const org of ORG_PROFILES) {
    for (let i = 0; i < org.assetCount; i++) drafts.push(draftAsset(assetRng, org, i, serials));
  }

  const requestDrafts = planRequests(createRng(SEED + 1), drafts);
  const trackingDrafts = planShipments(createRng(SEED + 2), requestDrafts);

  // Ids follow creation time, as in a database with an auto-increment key.
  drafts.sort((a, b) => a.createdMs - b.createdMs || a.org.id - b.org.id || a.index - b.index);
  const assets = drafts.map((d, i) => {
    d.asset.id = i + 1;
    d.asset.status = d.status;
    d.asset.grade = d.grade;
    d.asset.created_at = iso(d.createdMs);
    d.asset.confirmed_at = d.confirmedMs === null ? null : iso(d.confirmedMs);
    d.asset.updated_at = iso(Math.max(d.updatedMs, d.createdMs));
    return d.asset;
  });

  requestDrafts.sort((a, b) => a.createdMs - b.createdMs || a.org.id - b.org.id);
  const requests = requestDrafts.map((r, i): AssetRequest => {
    const request: AssetRequest = {
      id: i + 1,
      organization_id: r.org.id,
      request_type: r.type,
      status: r.status,
      asset_ids: r.drafts.map((d) => d.asset.id).sort((a, b) => a - b),
      notes: r.notes,
      requested_by: requesterOf(r.org),
      created_at: iso(r.createdMs),
    };
    r.request = request;
    for (const d of r.drafts) d.asset.request_id = request.id;
    return request;
  });

  trackingDrafts.sort((a, b) => a.createdMs - b.createdMs || a.request.org.id - b.request.org.id);
  const tracking = trackingDrafts.map((t, i) => t.build(i + 1));

  return {
    organizations,
    assets,
    requests,
    programs: buildPrograms(),
    tracking,
    pricebook: buildPricebook(createRng(SEED + 3)),
  };
}

function requesterOf(org: OrgProfile): string {
  const account = ACCOUNT_PROFILES.find((a) => a.organizationId === org.id);
  return account ? account.username : `it-admin@${org.domain}`;
}

function draftAsset(rng: Rng, org: OrgProfile, index: number, serials: Set<string>): Draft {
  const typeId = rng.weighted(TYPE_WEIGHTS);
  const assetType = ASSET_TYPES.find((t) => t.id === typeId)!;
  const device = rng.pick(DEVICE_MODELS.filter((m) => m.assetTypeId === typeId));
  const year = rng.int(device.years[0], device.years[1]);

  const purchaseMs = Math.min(Date.UTC(year, 0, 1) + rng.int(0, 364) * DAY, SEED_BASE_MS - 40 * DAY);
  const onboardedFrom = Math.max(purchaseMs + rng.int(1, 30) * DAY, Date.parse(org.createdAt) + rng.int(1, 90) * DAY);
  const createdMs = Math.min(onboardedFrom + rng.int(8 * 60, 18 * 60) * MINUTE, SEED_BASE_MS - 30 * DAY + rng.int(0, 25) * DAY);
  const eolMs = Date.UTC(new Date(purchaseMs).getUTCFullYear() + assetType.lifecycleYears, new Date(purchaseMs).getUTCMonth(), new Date(purchaseMs).getUTCDate());

  const status = rng.weighted(STATUS_WEIGHTS);
  const damage = rng.chance(status === 'processed' || status === 'received' ? 0.25 : 0.08) ? rng.pick(DAMAGE_TYPES) : null;
  let grade: string | null = null;
  if (status === 'processed' || (status === 'received' && rng.chance(0.5))) {
    grade = rng.weighted(damage ? DAMAGED_GRADE_WEIGHTS : GRADE_WEIGHTS);
  }
  const confirmedMs = status === 'in_use' || status === 'pending' ? null : Math.min(createdMs + rng.int(1, 20) * DAY + rng.int(0, 600) * MINUTE, LATEST);
  const updatedMs = Math.min((confirmedMs ?? createdMs) + rng.int(0, 90) * MINUTE, LATEST);

  const office = rng.pick(org.offices);
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const carrier =
    typeId === 2 || (typeId === 3 && rng.chance(0.3)) ? rng.pick(org.mobileCarriers) : null;

  const asset = makeAsset(
    { id: 0, organization_id: org.id, status, grade, confirmed_at: null, created_at: '', updated_at: '' },
    {
      asset_type_id: typeId,
      year,
      make: device.make,
      model: device.model,
      serial_number: uniqueSerial(rng, device, year, serials),
      asset_damage_type_id: damage ? damage.id : null,
      damage_description: damage ? rng.pick(damage.descriptions) : null,
      carrier,
      cpu: rng.pick(device.cpus),
      ram: rng.pick(device.rams),
      screen: device.screen,
      purchase_date: isoDate(purchaseMs),
      asset_reference: `${org.tagPrefix}-${String(index + 1).padStart(5, '0')}`,
      asset_user_first_name: first,
      asset_user_last_name: last,
      asset_user_address: `${rng.int(1, 2400)} ${rng.pick(office.streets)}`,
      asset_user_city: office.city,
      asset_user_state: office.state,
      asset_user_postal_code: office.postalCode,
      asset_user_country: office.country,
      request_id: null,
      archived: status === 'processed' && rng.chance(0.6),
      device_master_list_id: device.id,
      service_provider_org_id: ORG_PROFILES[0]!.id,
      asset_user_email: `${first}.${last}@${org.domain}`.toLowerCase(),
      asset_user_phone:
        org.phoneStyle === 'gb' ? `+44 20 7946 0${String(rng.int(0, 999)).padStart(3, '0')}` : `+1-555-01${String(rng.int(0, 99)).padStart(2, '0')}`,
      end_of_life_date: isoDate(eolMs),
    },
  );
  return { org, index, createdMs, confirmedMs, updatedMs, status, grade, asset, request: null };
}

const APPLE_ALPHABET = 'CDFGHJKLMNPQRTVWXY0123456789';
const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
const DIGITS = '0123456789';

function serialFor(rng: Rng, style: SerialStyle, year: number): string {
  switch (style) {
    case 'apple':
      // Apple moved to 10-character randomized serials in 2021.
      return year >= 2021 ? rng.chars(APPLE_ALPHABET, 10) : `C02${rng.chars(APPLE_ALPHABET, 9)}`;
    case 'dell':
      return rng.chars(ALNUM, 7); // service tag
    case 'lenovo':
      return `PF${rng.chars(ALNUM, 6)}`;
    case 'hp':
      return `5CG${rng.int(1, 3)}${rng.chars(DIGITS, 3)}${rng.chars(ALNUM, 3)}`;
    case 'samsung-phone':
      return `R5C${rng.chars(ALNUM, 8)}`;
    case 'samsung-tablet':
      return `R52${rng.chars(ALNUM, 8)}`;
    case 'google':
      return `${rng.chars(DIGITS, 5)}FDH${rng.chars(ALNUM, 6)}`;
    case 'microsoft':
      return rng.chars(DIGITS, 12);
  }
}

function uniqueSerial(rng: Rng, device: DeviceModel, year: number, serials: Set<string>): string {
  for (;;) {
    const serial = serialFor(rng, device.serial, year);
    if (!serials.has(serial)) {
      serials.add(serial);
      return serial;
    }
  }
}

/** Group the assets that are past confirmation into the requests that moved them. */
function planRequests(rng: Rng, drafts: Draft[]): RequestDraft[] {
  const out: RequestDraft[] = [];
  for (const org of ORG_PROFILES) {
    const own = drafts.filter((d) => d.org === org);
    const scheduled = own.filter((d) => d.status === 'confirmed' && rng.chance(0.5));
    const groups: [RequestStatus, Draft[], AssetStatus | 'scheduled'][] = [
      ['scheduled', scheduled, 'scheduled'],
      ['in_progress', own.filter((d) => d.status === 'in_transit'), 'in_transit'],
      ['in_progress', own.filter((d) => d.status === 'received'), 'received'],
      ['completed', own.filter((d) => d.status === 'processed'), 'processed'],
    ];
    for (const [status, members, stage] of groups) {
      for (let i = 0; i < members.length; ) {
        const chunk = members.slice(i, i + rng.int(3, 10));
        i += chunk.length;
        out.push(planRequest(rng, org, status, stage, chunk));
      }
    }
  }
  return out;
}

function planRequest(rng: Rng, org: OrgProfile, status: RequestStatus, stage: AssetStatus | 'scheduled', chunk: Draft[]): RequestDraft {
  const earliest = Math.max(...chunk.map((d) => d.confirmedMs ?? d.createdMs)) + DAY;
  let createdMs: number;
  switch (stage) {
    case 'scheduled':
      createdMs = SEED_BASE_MS - rng.int(1, 5) * DAY - rng.int(0, 600) * MINUTE;
      break;
    case 'in_transit':
      createdMs = SEED_BASE_MS - rng.int(3, 6) * DAY - rng.int(0, 600) * MINUTE;
      break;
    case 'received':
      createdMs = Math.min(earliest + rng.int(3, 20) * DAY, SEED_BASE_MS - 9 * DAY);
      break;
    default:
      createdMs = Math.min(earliest + rng.int(3, 30) * DAY, SEED_BASE_MS - 25 * DAY);
  }
  // A request comes after its assets were confirmed, which came after they were created.
  for (const d of chunk) {
    const confirmed = Math.min(d.confirmedMs ?? createdMs, createdMs - rng.int(1, 48) * HOUR);
    d.confirmedMs = confirmed;
    d.createdMs = Math.min(d.createdMs, confirmed - rng.int(1, 72) * HOUR);
    d.updatedMs = Math.max(createdMs, d.updatedMs);
  }
  const type: RequestType = stage === 'processed' ? rng.weighted([['recycle', 55], ['resale', 45]] as const) : rng.pick(['pickup', 'recycle', 'resale'] as const);
  const notes = rng.chance(0.4) ? rng.pick(REQUEST_NOTES) : null;
  const draft: RequestDraft = { org, type, status, createdMs, drafts: chunk, notes, request: null };
  for (const d of chunk) d.request = draft;
  return draft;
}

const REQUEST_NOTES: readonly string[] = [
  'Devices are boxed at the front desk, ask for facilities.',
  'Please wipe to NIST 800-88 and send certificates of destruction.',
  'Loading dock open 8am-4pm on weekdays.',
  'Includes devices from departed employees; chargers included where available.',
  'Two pallets, shrink-wrapped.',
];

interface TrackingDraft {
  request: RequestDraft;
  createdMs: number;
  build(id: number): TrackingItem;
}

/** One shipment per box of up to 8 devices, for every request that has been scheduled. */
function planShipments(rng: Rng, requests: RequestDraft[]): TrackingDraft[] {
  const destination = `${ORG_PROFILES[0]!.name}, 1250 Terminal Way, Reno, NV 89502, US`;
  const out: TrackingDraft[] = [];
  for (const r of requests) {
    const stage = r.drafts[0]!.status;
    const trackingStatus: TrackingStatus = r.status === 'scheduled' ? 'label_created' : stage === 'in_transit' ? 'in_transit' : 'delivered';
    for (let i = 0; i < r.drafts.length; i += 8) {
      const box = r.drafts.slice(i, i + 8);
      const first = box[0]!.asset;
      const origin = `${first.asset_user_city}, ${first.asset_user_state}, ${first.asset_user_country}`;
      const carrier = first.asset_user_country === 'GB' ? rng.pick(['DHL', 'UPS']) : rng.pick(SHIPPING_CARRIERS);
      const trackingNumber = trackingNumberFor(rng, carrier);
      const createdMs = Math.min(r.createdMs + rng.int(2, 20) * HOUR, LATEST);
      let shippedMs: number | null = null;
      let deliveredMs: number | null = null;
      let estimatedMs: number | null = null;
      if (trackingStatus !== 'label_created') {
        shippedMs = Math.min(createdMs + rng.int(4, 30) * HOUR, LATEST);
        estimatedMs = shippedMs + rng.int(2, 5) * DAY;
      }
      if (trackingStatus === 'delivered' && shippedMs !== null) {
        deliveredMs = Math.min(shippedMs + rng.int(1, 5) * DAY + rng.int(0, 480) * MINUTE, LATEST);
        estimatedMs = deliveredMs + rng.int(-1, 1) * DAY;
      }
      const updatedMs = deliveredMs ?? shippedMs ?? createdMs;
      // Assets move with their box: a later state of the box means a later update of the asset.
      for (const d of box) {
        const after = d.status === 'processed' ? rng.int(2, 20) * DAY : d.status === 'received' ? rng.int(1, 48) * HOUR : 0;
        d.updatedMs = Math.min(Math.max(d.updatedMs, updatedMs + after), LATEST);
      }
      out.push({
        request: r,
        createdMs,
        build: (id) => ({
          id,
          organization_id: r.org.id,
          request_id: r.request!.id,
          carrier,
          tracking_number: trackingNumber,
          status: trackingStatus,
          asset_ids: box.map((d) => d.asset.id).sort((a, b) => a - b),
          origin,
          destination,
          shipped_at: shippedMs === null ? null : iso(shippedMs),
          estimated_delivery: estimatedMs === null ? null : isoDate(estimatedMs),
          delivered_at: deliveredMs === null ? null : iso(deliveredMs),
          created_at: iso(createdMs),
          updated_at: iso(updatedMs),
        }),
      });
    }
  }
  return out;
}

function trackingNumberFor(rng: Rng, carrier: string): string {
  switch (carrier) {
    case 'UPS':
      return `1Z${rng.chars(ALNUM, 6)}${rng.chars(DIGITS, 10)}`;
    case 'FedEx':
      return rng.chars(DIGITS, 12);
    case 'DHL':
      return rng.chars(DIGITS, 10);
    default:
      return `9400${rng.chars(DIGITS, 18)}`;
  }
}

function buildPrograms(): Program[] {
  const rows: [number, string, Program['program_type'], Program['status'], string, string, string | null, string][] = [
    [2, 'Northwind Laptop Refresh 2025', 'refresh', 'active', 'Three-year laptop refresh: retiring Latitude 5420 and older MacBook Air units.', '2025-01-06', '2025-12-19', '2024-11-20T15:00:00.000Z'],
    [2, 'Northwind Retired Phones 2024', 'recycle', 'completed', 'Collection and certified recycling of retired corporate phones.', '2024-03-01', '2024-09-30', '2024-02-12T18:20:00.000Z'],
    [3, 'Contoso Secure Device Recycling', 'recycle', 'active', 'HIPAA-compliant data destruction and recycling for clinical devices.', '2023-07-01', null, '2023-06-15T13:05:00.000Z'],
    [4, 'Fabrikam Mobile Buyback', 'buyback', 'active', 'Buyback of handheld and phone fleets at pricebook value.', '2024-05-13', '2025-11-28', '2024-04-30T16:40:00.000Z'],
    [5, 'Tailspin Employee Trade-In', 'trade_in', 'active', 'Employees trade in personal devices against company upgrade credit.', '2024-10-01', null, '2024-09-09T10:30:00.000Z'],
    [1, 'Greenloop Certified Resale', 'resale', 'active', 'Grade A and B devices refurbished and resold through certified channels.', '2021-04-01', null, '2021-03-20T17:00:00.000Z'],
    [1, 'Greenloop Internal Fleet Refresh', 'refresh', 'completed', 'Replacement of warehouse scanners and staff laptops.', '2023-02-01', '2023-06-30', '2023-01-16T09:45:00.000Z'],
  ];
  return rows.map(([organization_id, name, program_type, status, description, start_date, end_date, created_at], i) => ({
    id: i + 1,
    organization_id,
    name,
    program_type,
    status,
    description,
    start_date,
    end_date,
    created_at,
  }));
}

function buildPricebook(rng: Rng): PricebookEntry[] {
  return DEVICE_MODELS.map((m) => ({
    id: m.id,
    device_master_list_id: m.id,
    asset_type_id: m.assetTypeId,
    make: m.make,
    model: m.model,
    currency: 'USD',
    grade_price: GRADE_FACTORS.map(([grade, factor]) => ({ grade, price: Math.round(m.gradeAPrice * factor) })),
    updated_at: iso(SEED_BASE_MS - rng.int(2, 60) * DAY - rng.int(0, 600) * MINUTE),
  }));
}
