// The simulator's in-memory data and every operation on it. No HTTP here: routes parse
// and validate, then call one method. Visibility: a principal with visibility 'all' (the
// service provider) sees every organization; 'own' sees only its organization, and what
// it cannot see answers exactly as if it did not exist (404), so ids cannot be probed.
//
// Lists that never change are grouped once at start-up; asset lists are kept in id order
// as assets are added (ids only grow and nothing is deleted), so a page is one slice.
// Serializing is most of the cost of a list request, so each item's JSON text is made
// once and reused until the item changes; every change goes through touch(), which
// drops it.
import { assetTypeName, EMPTY_ASSET_FIELDS, makeAsset } from './asset.js';
import type { Principal } from './auth.js';
import { pageOf, type Page } from './params.js';
import type { AssetRequestInput, CreateAssetInput, UpdateAssetInput } from './schemas.js';
import type { Asset, AssetRequest, Organization, PricebookEntry, Program, SeedData, TrackingItem } from './types.js';

export interface PageResult<T> {
  items: T[];
  /** Matching items on all pages (the X-Total-Count header). */
  total: number;
}

export type RequestResult = { ok: true; request: AssetRequest } | { ok: false; missingAssetIds: number[] };

/** Statuses from which POST /v1/asset/confirm moves an asset to "confirmed". */
const CONFIRMABLE = new Set<Asset['status']>(['in_use', 'pending']);

const NONE: readonly never[] = Object.freeze([]);

type Scoped = Pick<Principal, 'organizationId' | 'visibility'>;

function groupByOrg<T extends { organization_id: number }>(items: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const list = out.get(item.organization_id);
    if (list) list.push(item);
    else out.set(item.organization_id, [item]);
  }
  return out;
}

export class Store {
  /** Index i holds asset id i + 1. */
  private readonly assets: Asset[];
  private readonly assetsByOrg: Map<number, Asset[]>;
  private readonly organizations: Map<number, Organization>;
  private readonly pricebook: Map<number, PricebookEntry>;
  private readonly requests: AssetRequest[];
  private readonly programs: Program[];
  private readonly programsByOrg: Map<number, Program[]>;
  private readonly tracking: TrackingItem[];
  private readonly trackingByOrg: Map<number, TrackingItem[]>;
  /** JSON text of assets and of the unchanging lists, keyed by the object it was made from. */
  private readonly jsonCache = new WeakMap<object, string>();

  constructor(
    seed: SeedData,
    private readonly now: () => number,
  ) {
    seed.assets.forEach((a, i) => {
      if (a.id !== i + 1) throw new Error(`seed asset ids must be 1..n in order (index ${i} has id ${a.id})`);
    });
    this.assets = seed.assets;
    this.assetsByOrg = groupByOrg(seed.assets);
    this.organizations = new Map(seed.organizations.map((o) => [o.id, o]));
    for (const id of this.organizations.keys()) if (!this.assetsByOrg.has(id)) this.assetsByOrg.set(id, []);
    this.pricebook = new Map(seed.pricebook.map((p) => [p.id, p]));
    this.requests = seed.requests;
    this.programs = seed.programs;
    this.programsByOrg = groupByOrg(seed.programs);
    this.tracking = seed.tracking;
    this.trackingByOrg = groupByOrg(seed.tracking);
  }

  listAssets(who: Scoped, page: Page): PageResult<Asset> {
    const source = who.visibility === 'all' ? this.assets : (this.assetsByOrg.get(who.organizationId) ?? NONE);
    return { items: pageOf(source, page), total: source.length };
  }

  /** undefined when the organization does not exist or is not visible. */
  listOrgAssets(who: Scoped, orgId: number, page: Page): PageResult<Asset> | undefined {
    if (!this.organizations.has(orgId) || !canSee(who, orgId)) return undefined;
    const source = this.assetsByOrg.get(orgId) ?? NONE;
    return { items: pageOf(source, page), total: source.length };
  }

  getAsset(who: Scoped, id: number): Asset | undefined {
    const asset = this.assets[id - 1];
    return asset && canSee(who, asset.organization_id) ? asset : undefined;
  }

  /** The new asset belongs to the caller's organization and starts "pending" confirmation. */
  createAsset(who: Scoped, input: CreateAssetInput): Asset {
    const stamp = this.stamp();
    const asset = makeAsset(
      { id: this.assets.length + 1, organization_id: who.organizationId, status: 'pending', grade: null, confirmed_at: null, created_at: stamp, updated_at: stamp },
      { ...EMPTY_ASSET_FIELDS, ...input },
    );
    this.assets.push(asset);
    const orgAssets = this.assetsByOrg.get(who.organizationId);
    if (orgAssets) orgAssets.push(asset);
    else this.assetsByOrg.set(who.organizationId, [asset]);
    return asset;
  }

  updateAsset(who: Scoped, id: number, patch: UpdateAssetInput): Asset | undefined {
    const asset = this.getAsset(who, id);
    if (!asset) return undefined;
    Object.assign(asset, patch);
    if (patch.asset_type_id !== undefined) asset.asset_type = assetTypeName(patch.asset_type_id);
    this.touch(asset);
    return asset;
  }

  /**
   * An asset "in_use" or "pending" becomes "confirmed". Confirming again, or confirming an
   * asset already further along (in transit, received, processed), changes nothing and
   * answers the asset as it is: confirmation is idempotent.
   */
  confirmAsset(who: Scoped, id: number): Asset | undefined {
    const asset = this.getAsset(who, id);
    if (!asset) return undefined;
    if (CONFIRMABLE.has(asset.status)) {
      asset.status = 'confirmed';
      this.touch(asset);
      asset.confirmed_at = asset.updated_at;
    }
    return asset;
  }

  /**
   * A new "pending" request for the listed assets; each asset's request_id then points to
   * it. The request belongs to the assets' organization when they share one, else to the
   * caller's. Any id not visible to the caller fails the whole request.
   */
  createRequest(who: Scoped & Pick<Principal, 'username'>, input: AssetRequestInput): RequestResult {
    const found: Asset[] = [];
    const missing: number[] = [];
    for (const id of input.asset_ids) {
      const asset = this.getAsset(who, id);
      if (asset) found.push(asset);
      else missing.push(id);
    }
    if (missing.length > 0) return { ok: false, missingAssetIds: missing };
    const orgIds = new Set(found.map((a) => a.organization_id));
    const stamp = this.stamp();
    const request: AssetRequest = {
      id: this.requests.length + 1,
      organization_id: orgIds.size === 1 ? found[0]!.organization_id : who.organizationId,
      request_type: input.request_type,
      status: 'pending',
      asset_ids: [...input.asset_ids],
      notes: input.notes ?? null,
      requested_by: who.username,
      created_at: stamp,
    };
    this.requests.push(request);
    for (const asset of found) {
      asset.request_id = request.id;
      this.touch(asset);
    }
    return { ok: true, request };
  }

  /** Set (or add) one grade's price. The pricebook is a catalog shared by every organization. */
  setGradePrice(id: number, grade: string, price: number): PricebookEntry | undefined {
    const entry = this.pricebook.get(id);
    if (!entry) return undefined;
    const existing = entry.grade_price.find((g) => g.grade === grade);
    if (existing) existing.price = price;
    else entry.grade_price.push({ grade, price });
    entry.updated_at = this.stamp(entry.updated_at);
    return entry;
  }

  listPrograms(who: Scoped): readonly Program[] {
    return who.visibility === 'all' ? this.programs : (this.programsByOrg.get(who.organizationId) ?? NONE);
  }

  listTracking(who: Scoped): readonly TrackingItem[] {
    return who.visibility === 'all' ? this.tracking : (this.trackingByOrg.get(who.organizationId) ?? NONE);
  }

  /** JSON text of one asset (or other stored item), made once and reused until it changes. */
  json(item: object): string {
    let text = this.jsonCache.get(item);
    if (text === undefined) {
      text = JSON.stringify(item);
      this.jsonCache.set(item, text);
    }
    return text;
  }

  /** JSON text of a list of stored items, from their cached texts. */
  jsonArray(items: readonly object[]): string {
    let out = '[';
    for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ',') + this.json(items[i]!);
    return `${out}]`;
  }

  /** Record a change to an asset: bump updated_at and drop its cached JSON. */
  private touch(asset: Asset): void {
    asset.updated_at = this.stamp(asset.updated_at);
    this.jsonCache.delete(asset);
  }

  /**
   * The current time as an ISO timestamp; given the previous value of the field it is
   * at least 1 ms later, so an update always moves updated_at forward.
   */
  private stamp(previous?: string): string {
    let ms = this.now();
    if (previous !== undefined) ms = Math.max(ms, Date.parse(previous) + 1);
    return new Date(ms).toISOString();
  }
}

function canSee(who: Scoped, orgId: number): boolean {
  return who.visibility === 'all' || who.organizationId === orgId;
}
