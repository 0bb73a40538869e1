// Fixed reference data the seed is drawn from: asset types, damage types, the device
// master list, organizations with their offices, and people's names. Read-only.

export interface AssetType {
  id: number;
  name: string;
  /** Years from purchase to planned end of life. */
  lifecycleYears: number;
}

export const ASSET_TYPES: readonly AssetType[] = [
  { id: 1, name: 'Laptop', lifecycleYears: 4 },
  { id: 2, name: 'Smartphone', lifecycleYears: 3 },
  { id: 3, name: 'Tablet', lifecycleYears: 4 },
  { id: 4, name: 'Desktop', lifecycleYears: 5 },
];

export const ASSET_TYPE_NAMES: ReadonlyMap<number, string> = new Map(ASSET_TYPES.map((t) => [t.id, t.name]));

export interface DamageType {
  id: number;
  name: string;
  descriptions: readonly string[];
}

export const DAMAGE_TYPES: readonly DamageType[] = [
  { id: 1, name: 'Cracked screen', descriptions: ['Hairline crack across the lower left corner of the display', 'Spider-web crack, touch still responsive', 'Display cracked, dead pixels along the top edge'] },
  { id: 2, name: 'Liquid damage', descriptions: ['Coffee spill on the keyboard, several keys sticky', 'Liquid indicator tripped, device boots intermittently'] },
  { id: 3, name: 'Housing damage', descriptions: ['Dent on the lid near the hinge', 'Corner of the chassis cracked after a drop', 'Deep scratches on the back panel'] },
  { id: 4, name: 'Battery swelling', descriptions: ['Battery swollen, trackpad lifted', 'Back panel separating due to battery swelling'] },
  { id: 5, name: 'Does not power on', descriptions: ['No power, no charging light', 'Powers on to a black screen only'] },
  { id: 6, name: 'Missing parts', descriptions: ['Charger and power cable missing', 'Two keycaps missing', 'SIM tray missing'] },
];

export const DAMAGE_TYPE_IDS: ReadonlySet<number> = new Set(DAMAGE_TYPES.map((d) => d.id));

export type SerialStyle = 'apple' | 'dell' | 'lenovo' | 'hp' | 'samsung-phone' | 'samsung-tablet' | 'google' | 'microsoft';

export interface DeviceModel {
  /** device_master_list_id; also the pricebook_catalog_id of its pricebook entry. */
  id: number;
  assetTypeId: number;
  make: string;
  model: string;
  /** Model years on sale: [first, last]. */
  years: readonly [number, number];
  cpus: readonly string[];
  rams: readonly string[];
  screen: string | null;
  serial: SerialStyle;
  /** Grade A resale value in USD; the pricebook's other grades are fractions of it. */
  gradeAPrice: number;
}

export const DEVICE_MODELS: readonly DeviceModel[] = [
  { id: 1, assetTypeId: 1, make: 'Apple', model: 'MacBook Pro 14', years: [2021, 2023], cpus: ['Apple M1 Pro', 'Apple M2 Pro', 'Apple M3 Pro'], rams: ['16GB', '32GB'], screen: '14.2in', serial: 'apple', gradeAPrice: 1150 },
  { id: 2, assetTypeId: 1, make: 'Apple', model: 'MacBook Air 13', years: [2020, 2024], cpus: ['Apple M1', 'Apple M2', 'Apple M3'], rams: ['8GB', '16GB'], screen: '13.6in', serial: 'apple', gradeAPrice: 620 },
  { id: 3, assetTypeId: 1, make: 'Dell', model: 'Latitude 7440', years: [2023, 2024], cpus: ['Intel Core i5-1345U', 'Intel Core i7-1365U'], rams: ['16GB', '32GB'], screen: '14in', serial: 'dell', gradeAPrice: 640 },
  { id: 4, assetTypeId: 1, make: 'Dell', model: 'Latitude 5420', years: [2021, 2022], cpus: ['Intel Core i5-1145G7', 'Intel Core i7-1185G7'], rams: ['8GB', '16GB'], screen: '14in', serial: 'dell', gradeAPrice: 260 },
  { id: 5, assetTypeId: 1, make: 'Lenovo', model: 'ThinkPad T14 Gen 3', years: [2022, 2023], cpus: ['Intel Core i5-1245U', 'AMD Ryzen 7 PRO 6850U'], rams: ['16GB', '32GB'], screen: '14in', serial: 'lenovo', gradeAPrice: 420 },
  { id: 6, assetTypeId: 1, make: 'Lenovo', model: 'ThinkPad X1 Carbon Gen 10', years: [2022, 2022], cpus: ['Intel Core i7-1265U'], rams: ['16GB', '32GB'], screen: '14in', serial: 'lenovo', gradeAPrice: 560 },
  { id: 7, assetTypeId: 1, make: 'HP', model: 'EliteBook 840 G9', years: [2022, 2023], cpus: ['Intel Core i5-1245U', 'Intel Core i7-1265U'], rams: ['16GB', '32GB'], screen: '14in', serial: 'hp', gradeAPrice: 430 },
  { id: 8, assetTypeId: 1, make: 'Microsoft', model: 'Surface Laptop 5', years: [2022, 2023], cpus: ['Intel Core i5-1235U', 'Intel Core i7-1255U'], rams: ['8GB', '16GB'], screen: '13.5in', serial: 'microsoft', gradeAPrice: 480 },
  { id: 9, assetTypeId: 2, make: 'Apple', model: 'iPhone 14', years: [2022, 2023], cpus: ['Apple A15 Bionic'], rams: ['6GB'], screen: '6.1in', serial: 'apple', gradeAPrice: 390 },
  { id: 10, assetTypeId: 2, make: 'Apple', model: 'iPhone 13', years: [2021, 2022], cpus: ['Apple A15 Bionic'], rams: ['4GB'], screen: '6.1in', serial: 'apple', gradeAPrice: 300 },
  { id: 11, assetTypeId: 2, make: 'Apple', model: 'iPhone 15 Pro', years: [2023, 2024], cpus: ['Apple A17 Pro'], rams: ['8GB'], screen: '6.1in', serial: 'apple', gradeAPrice: 640 },
  { id: 12, assetTypeId: 2, make: 'Samsung', model: 'Galaxy S23', years: [2023, 2023], cpus: ['Qualcomm Snapdragon 8 Gen 2'], rams: ['8GB'], screen: '6.1in', serial: 'samsung-phone', gradeAPrice: 360 },
  { id: 13, assetTypeId: 2, make: 'Samsung', model: 'Galaxy S22', years: [2022, 2022], cpus: ['Qualcomm Snapdragon 8 Gen 1'], rams: ['8GB'], screen: '6.1in', serial: 'samsung-phone', gradeAPrice: 220 },
  { id: 14, assetTypeId: 2, make: 'Google', model: 'Pixel 7', years: [2022, 2023], cpus: ['Google Tensor G2'], rams: ['8GB'], screen: '6.3in', serial: 'google', gradeAPrice: 210 },
  { id: 15, assetTypeId: 3, make: 'Apple', model: 'iPad Air (5th generation)', years: [2022, 2023], cpus: ['Apple M1'], rams: ['8GB'], screen: '10.9in', serial: 'apple', gradeAPrice: 380 },
  { id: 16, assetTypeId: 3, make: 'Apple', model: 'iPad (9th generation)', years: [2021, 2022], cpus: ['Apple A13 Bionic'], rams: ['3GB'], screen: '10.2in', serial: 'apple', gradeAPrice: 170 },
  { id: 17, assetTypeId: 3, make: 'Samsung', model: 'Galaxy Tab S8', years: [2022, 2022], cpus: ['Qualcomm Snapdragon 8 Gen 1'], rams: ['8GB'], screen: '11in', serial: 'samsung-tablet', gradeAPrice: 290 },
  { id: 18, assetTypeId: 3, make: 'Microsoft', model: 'Surface Pro 9', years: [2022, 2023], cpus: ['Intel Core i5-1235U', 'Intel Core i7-1255U'], rams: ['8GB', '16GB'], screen: '13in', serial: 'microsoft', gradeAPrice: 520 },
  { id: 19, assetTypeId: 4, make: 'Dell', model: 'OptiPlex 7010', years: [2023, 2023], cpus: ['Intel Core i5-13500', 'Intel Core i7-13700'], rams: ['16GB', '32GB'], screen: null, serial: 'dell', gradeAPrice: 310 },
  { id: 20, assetTypeId: 4, make: 'Apple', model: 'iMac 24', years: [2021, 2023], cpus: ['Apple M1', 'Apple M3'], rams: ['8GB', '16GB'], screen: '24in', serial: 'apple', gradeAPrice: 640 },
];

/** Grade names of the seeded pricebook and the share of grade A's price each one fetches. */
export const GRADE_FACTORS: readonly (readonly [string, number])[] = [
  ['A', 1],
  ['B', 0.78],
  ['C', 0.52],
  ['D', 0.22],
];

export interface Office {
  city: string;
  state: string;
  postalCode: string;
  country: string;
  streets: readonly string[];
}

export interface OrgProfile {
  id: number;
  name: string;
  type: 'service_provider' | 'customer';
  domain: string;
  /** asset_reference prefix, e.g. NWT-00042. */
  tagPrefix: string;
  /** How many assets the seed gives this organization. */
  assetCount: number;
  phoneStyle: 'us' | 'gb';
  mobileCarriers: readonly string[];
  offices: readonly Office[];
  createdAt: string;
}

const US_CARRIERS = ['Verizon', 'AT&T', 'T-Mobile', 'Unlocked'] as const;

/**
 * Organization 1 is the service provider (an ITAD company) that every customer sends its
 * retired devices to; the demo account works there. Customer sizes add up to 300 assets.
 */
export const ORG_PROFILES: readonly OrgProfile[] = [
  {
    id: 1, name: 'Greenloop ITAD Services', type: 'service_provider', domain: 'greenloop-itad.example', tagPrefix: 'GLI', assetCount: 18,
    phoneStyle: 'us', mobileCarriers: US_CARRIERS, createdAt: '2021-03-02T16:00:00.000Z',
    offices: [{ city: 'Reno', state: 'NV', postalCode: '89502', country: 'US', streets: ['Terminal Way', 'Mill Street', 'Kietzke Lane'] }],
  },
  {
    id: 2, name: 'Northwind Traders', type: 'customer', domain: 'northwind.example', tagPrefix: 'NWT', assetCount: 96,
    phoneStyle: 'us', mobileCarriers: US_CARRIERS, createdAt: '2022-01-18T17:30:00.000Z',
    offices: [
      { city: 'Seattle', state: 'WA', postalCode: '98101', country: 'US', streets: ['3rd Avenue', 'Pike Street', 'Westlake Avenue'] },
      { city: 'Portland', state: 'OR', postalCode: '97204', country: 'US', streets: ['SW Broadway', 'SW Morrison Street'] },
      { city: 'Boise', state: 'ID', postalCode: '83702', country: 'US', streets: ['W Main Street', 'N 8th Street'] },
    ],
  },
  {
    id: 3, name: 'Contoso Health', type: 'customer', domain: 'contoso-health.example', tagPrefix: 'CTH', assetCount: 82,
    phoneStyle: 'us', mobileCarriers: US_CARRIERS, createdAt: '2022-06-07T14:15:00.000Z',
    offices: [
      { city: 'Boston', state: 'MA', postalCode: '02110', country: 'US', streets: ['Atlantic Avenue', 'Congress Street', 'Summer Street'] },
      { city: 'Cambridge', state: 'MA', postalCode: '02139', country: 'US', streets: ['Massachusetts Avenue', 'Main Street'] },
      { city: 'Providence', state: 'RI', postalCode: '02903', country: 'US', streets: ['Westminster Street', 'Weybosset Street'] },
    ],
  },
  {
    id: 4, name: 'Fabrikam Logistics', type: 'customer', domain: 'fabrikam.example', tagPrefix: 'FBL', assetCount: 62,
    phoneStyle: 'us', mobileCarriers: US_CARRIERS, createdAt: '2023-02-21T15:45:00.000Z',
    offices: [
      { city: 'Chicago', state: 'IL', postalCode: '60606', country: 'US', streets: ['W Monroe Street', 'S Wacker Drive', 'W Adams Street'] },
      { city: 'Indianapolis', state: 'IN', postalCode: '46204', country: 'US', streets: ['Monument Circle', 'N Meridian Street'] },
      { city: 'Columbus', state: 'OH', postalCode: '43215', country: 'US', streets: ['N High Street', 'E Broad Street'] },
    ],
  },
  {
    id: 5, name: 'Tailspin Studios', type: 'customer', domain: 'tailspin.example', tagPrefix: 'TSS', assetCount: 42,
    phoneStyle: 'gb', mobileCarriers: ['EE', 'Vodafone', 'O2', 'Unlocked'], createdAt: '2023-09-04T09:00:00.000Z',
    offices: [
      { city: 'London', state: 'Greater London', postalCode: 'EC2A 4NE', country: 'GB', streets: ['Old Street', 'Great Eastern Street', 'Curtain Road'] },
      { city: 'Manchester', state: 'Greater Manchester', postalCode: 'M1 1AE', country: 'GB', streets: ['Piccadilly', 'Portland Street'] },
    ],
  },
];

export const FIRST_NAMES: readonly string[] = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Isabella', 'Lucas',
  'Mia', 'Mateo', 'Amelia', 'Benjamin', 'Harper', 'Henry', 'Evelyn', 'Alexander', 'Priya', 'Daniel',
  'Aisha', 'Wei', 'Chloe', 'Samuel', 'Grace', 'Diego', 'Hannah', 'Omar', 'Zoe', 'Ethan',
  'Nora', 'Kenji', 'Layla', 'Gabriel', 'Fatima', 'Owen', 'Maya', 'Isaac', 'Leah', 'Arjun',
];

export const LAST_NAMES: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee',
  'Patel', 'Nguyen', 'Kim', 'Chen', 'Okafor', 'Murphy', 'Rossi', 'Schmidt', 'Cohen', 'Kowalski',
  'Silva', 'Tanaka', 'Khan', 'Walker', 'Hughes', 'Evans', 'Reyes', 'Morgan', 'Singh', 'Fischer',
];

export const SHIPPING_CARRIERS: readonly string[] = ['UPS', 'FedEx', 'DHL', 'USPS'];

/** The documented sandbox login (the spec's curl example): a service-provider user. */
export const DEMO_ACCOUNT = Object.freeze({ username: 'user@example.com', password: 'secret' });

export interface AccountProfile {
  username: string;
  password: string;
  sub: string;
  organizationId: number;
  visibility: 'all' | 'own';
}

/**
 * The demo user works for the service provider (organization 1) and, like a real ITAD
 * operator, sees the assets of every organization it serves, so GET /v1/asset lists all
 * assets and GET /v1/asset/org/{org_id} is meaningful for each of the five organizations.
 * One customer-side account per customer organization sees only its own organization.
 */
export const ACCOUNT_PROFILES: readonly AccountProfile[] = [
  { username: DEMO_ACCOUNT.username, password: DEMO_ACCOUNT.password, sub: '5f0c2a9e-7d41-4b8a-9c3e-1a2b3c4d5e01', organizationId: 1, visibility: 'all' },
  { username: 'it-admin@northwind.example', password: 'secret', sub: '5f0c2a9e-7d41-4b8a-9c3e-1a2b3c4d5e02', organizationId: 2, visibility: 'own' },
  { username: 'it-admin@contoso-health.example', password: 'secret', sub: '5f0c2a9e-7d41-4b8a-9c3e-1a2b3c4d5e03', organizationId: 3, visibility: 'own' },
  { username: 'it-admin@fabrikam.example', password: 'secret', sub: '5f0c2a9e-7d41-4b8a-9c3e-1a2b3c4d5e04', organizationId: 4, visibility: 'own' },
  { username: 'it-admin@tailspin.example', password: 'secret', sub: '5f0c2a9e-7d41-4b8a-9c3e-1a2b3c4d5e05', organizationId: 5, visibility: 'own' },
];
