// Shapes of the simulator's data. JSON answers are these objects as stored, so the key
// order written here (see makeAsset in asset.ts) is the key order clients see.

export type AssetStatus = 'in_use' | 'pending' | 'confirmed' | 'in_transit' | 'received' | 'processed';

export interface Asset {
  id: number;
  organization_id: number;
  asset_type_id: number;
  /** Name of asset_type_id, e.g. "Laptop"; kept in step with asset_type_id. */
  asset_type: string;
  year: number | null;
  make: string | null;
  model: string | null;
  serial_number: string;
  asset_damage_type_id: number | null;
  damage_description: string | null;
  carrier: string | null;
  cpu: string | null;
  ram: string | null;
  screen: string | null;
  /** YYYY-MM-DD */
  purchase_date: string | null;
  asset_reference: string | null;
  asset_user_first_name: string | null;
  asset_user_last_name: string | null;
  asset_user_address: string | null;
  asset_user_city: string | null;
  asset_user_state: string | null;
  asset_user_postal_code: string | null;
  asset_user_country: string | null;
  request_id: number | null;
  archived: boolean;
  device_master_list_id: number | null;
  service_provider_org_id: number | null;
  asset_user_email: string | null;
  asset_user_phone: string | null;
  /** YYYY-MM-DD */
  end_of_life_date: string | null;
  status: AssetStatus;
  /** Condition grade after inspection (A best .. D worst); null until graded. */
  grade: string | null;
  /** ISO timestamp of POST /v1/asset/confirm (or the seeded equivalent). */
  confirmed_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The client-writable fields of an asset (the spec's body fields for create). */
export type AssetFields = Omit<
  Asset,
  'id' | 'organization_id' | 'asset_type' | 'status' | 'grade' | 'confirmed_at' | 'created_at' | 'updated_at'
>;

export interface Organization {
  id: number;
  name: string;
  type: 'service_provider' | 'customer';
  service_provider_org_id: number | null;
  country: string;
  created_at: string;
}

export type RequestType = 'pickup' | 'recycle' | 'resale';
export type RequestStatus = 'pending' | 'scheduled' | 'in_progress' | 'completed';

export interface AssetRequest {
  id: number;
  organization_id: number;
  request_type: RequestType;
  status: RequestStatus;
  asset_ids: number[];
  notes: string | null;
  requested_by: string;
  created_at: string;
}

export type ProgramType = 'refresh' | 'recycle' | 'buyback' | 'trade_in' | 'resale';

export interface Program {
  id: number;
  organization_id: number;
  name: string;
  program_type: ProgramType;
  status: 'active' | 'completed';
  description: string;
  /** YYYY-MM-DD */
  start_date: string;
  /** YYYY-MM-DD, null while open-ended */
  end_date: string | null;
  created_at: string;
}

export type TrackingStatus = 'label_created' | 'in_transit' | 'delivered';

export interface TrackingItem {
  id: number;
  organization_id: number;
  request_id: number;
  carrier: string;
  tracking_number: string;
  status: TrackingStatus;
  asset_ids: number[];
  origin: string;
  destination: string;
  shipped_at: string | null;
  /** YYYY-MM-DD */
  estimated_delivery: string | null;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface GradePrice {
  grade: string;
  price: number;
}

export interface PricebookEntry {
  /** The pricebook_catalog_id of the spec's PUT /v1/pricebook/{id}/{grade}. */
  id: number;
  device_master_list_id: number;
  asset_type_id: number;
  make: string;
  model: string;
  currency: string;
  grade_price: GradePrice[];
  updated_at: string;
}

export interface SeedData {
  organizations: Organization[];
  assets: Asset[];
  requests: AssetRequest[];
  programs: Program[];
  tracking: TrackingItem[];
  pricebook: PricebookEntry[];
}
