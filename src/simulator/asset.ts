// Building asset objects in one canonical key order, shared by the seed and the store,
// so a seeded asset and a created one serialize with the same shape.
import { ASSET_TYPE_NAMES } from './catalog.js';
import type { Asset, AssetFields, AssetStatus } from './types.js';

export interface AssetMeta {
  id: number;
  organization_id: number;
  status: AssetStatus;
  grade: string | null;
  confirmed_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Client-writable fields a create request did not give. */
export const EMPTY_ASSET_FIELDS: Readonly<Omit<AssetFields, 'asset_type_id' | 'serial_number'>> = Object.freeze({
  year: null,
  make: null,
  model: null,
  asset_damage_type_id: null,
  damage_description: null,
  carrier: null,
  cpu: null,
  ram: null,
  screen: null,
  purchase_date: null,
  asset_reference: null,
  asset_user_first_name: null,
  asset_user_last_name: null,
  asset_user_address: null,
  asset_user_city: null,
  asset_user_state: null,
  asset_user_postal_code: null,
  asset_user_country: null,
  request_id: null,
  archived: false,
  device_master_list_id: null,
  service_provider_org_id: null,
  asset_user_email: null,
  asset_user_phone: null,
  end_of_life_date: null,
});

export function assetTypeName(assetTypeId: number): string {
  return ASSET_TYPE_NAMES.get(assetTypeId) ?? 'Unknown';
}

export function makeAsset(meta: AssetMeta, f: AssetFields): Asset {
  return {
    id: meta.id,
    organization_id: meta.organization_id,
    asset_type_id: f.asset_type_id,
    asset_type: assetTypeName(f.asset_type_id),
    year: f.year,
    make: f.make,
    model: f.model,
    serial_number: f.serial_number,
    asset_damage_type_id: f.asset_damage_type_id,
    damage_description: f.damage_description,
    carrier: f.carrier,
    cpu: f.cpu,
    ram: f.ram,
    screen: f.screen,
    purchase_date: f.purchase_date,
    asset_reference: f.asset_reference,
    asset_user_first_name: f.asset_user_first_name,
    asset_user_last_name: f.asset_user_last_name,
    asset_user_address: f.asset_user_address,
    asset_user_city: f.asset_user_city,
    asset_user_state: f.asset_user_state,
    asset_user_postal_code: f.asset_user_postal_code,
    asset_user_country: f.asset_user_country,
    request_id: f.request_id,
    archived: f.archived,
    device_master_list_id: f.device_master_list_id,
    service_provider_org_id: f.service_provider_org_id,
    asset_user_email: f.asset_user_email,
    asset_user_phone: f.asset_user_phone,
    end_of_life_date: f.end_of_life_date,
    status: meta.status,
    grade: meta.grade,
    confirmed_at: meta.confirmed_at,
    created_at: meta.created_at,
    updated_at: meta.updated_at,
  };
}
