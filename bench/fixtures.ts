// The bodies the benchmark sends and the fast upstream answers, built once (pure).
// Shapes follow the simulator's assets (src/simulator/asset.ts), sized to the scenarios:
// one asset of ~1 KB, a page of 500 assets of ~300 KB, a create body of ~2 KB that passes
// apis/create.json's schema.

/** One asset as a list page carries it (~600 bytes serialised). */
export function listAsset(id: number): Record<string, unknown> {
  return {
    id,
    organization_id: 2,
    asset_type_id: 1,
    asset_type: 'Laptop',
    year: 2021 + (id % 3),
    make: 'Apple',
    model: 'MacBook Pro 14',
    serial_number: `C02X${String(100000 + id)}MD6T`,
    asset_damage_type_id: null,
    damage_description: null,
    carrier: null,
    cpu: 'Apple M1 Pro',
    ram: '16 GB',
    screen: '14.2 in',
    purchase_date: '2022-03-14',
    asset_reference: `REF-${id}`,
    asset_user_first_name: 'Dana',
    asset_user_last_name: 'Whitfield',
    asset_user_city: 'Denver',
    asset_user_state: 'CO',
    asset_user_country: 'US',
    archived: false,
    status: 'in_use',
    grade: null,
    created_at: '2024-01-31T09:15:00.000Z',
    updated_at: '2024-06-02T17:40:12.000Z',
  };
}

/** One asset as GET /v1/asset/{id} answers it: the list fields plus details (~1 KB). */
export function detailAsset(id: number): Record<string, unknown> {
  return {
    ...listAsset(id),
    asset_user_address: '1801 California St, Suite 2400',
    asset_user_postal_code: '80202',
    asset_user_email: 'dana.whitfield@example.com',
    asset_user_phone: '+1 303 555 0142',
    request_id: 7,
    device_master_list_id: 311,
    service_provider_org_id: 1,
    end_of_life_date: '2027-03-14',
    confirmed_at: '2024-02-01T10:00:00.000Z',
    notes: 'Issued with charger and sleeve. Battery health 91% at last check; keyboard replaced under warranty.',
  };
}

/** A create body of ~2 KB: every field of apis/create.json with the declared type. */
export function createBody(): Record<string, unknown> {
  return {
    asset_type_id: 1,
    year: 2023,
    make: 'Apple',
    model: 'MacBook Pro 14',
    serial_number: 'C02XK1ZZMD6T',
    asset_damage_type_id: 2,
    damage_description:
      'Light scratches on the lid and a dent near the left hinge; display free of dead pixels. ' +
      'Keyboard: the E key sticks now and then. Battery cycle count 412, health 88%. ' +
      'Comes with the original 96 W charger, no sleeve. Wiped by IT before shipping; ' +
      'MDM profile removed; firmware password cleared. Box not available, packed in a padded mailer. '.repeat(11),
    carrier: 'UPS',
    cpu: 'Apple M2 Pro',
    ram: '32 GB',
    screen: '14.2 in',
    purchase_date: '2023-05-02',
    asset_reference: 'IT-2023-0519',
    asset_user_first_name: 'Dana',
    asset_user_last_name: 'Whitfield',
    asset_user_address: '1801 California St, Suite 2400',
    asset_user_city: 'Denver',
    asset_user_state: 'CO',
    asset_user_postal_code: '80202',
    asset_user_country: 'US',
    request_id: 7,
    archived: false,
    device_master_list_id: 311,
    service_provider_org_id: 1,
    asset_user_email: 'dana.whitfield@example.com',
    asset_user_phone: '+1 303 555 0142',
    end_of_life_date: '2028-05-02',
  };
}

export const PAGE_SIZE = 500;

export interface Fixtures {
  asset: Buffer;
  page: Buffer;
  created: Buffer;
  createBody: Buffer;
}

export function buildFixtures(): Fixtures {
  const page = Array.from({ length: PAGE_SIZE }, (_, i) => listAsset(i + 1));
  return {
    asset: Buffer.from(JSON.stringify(detailAsset(42))),
    page: Buffer.from(JSON.stringify(page)),
    created: Buffer.from(JSON.stringify({ ...createBody(), id: 10_001, organization_id: 2, status: 'received' })),
    createBody: Buffer.from(JSON.stringify(createBody())),
  };
}
