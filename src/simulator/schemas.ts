// Request body schemas (zod), built once. Types are strict: a number must be a JSON
// number, not a numeric string. Unknown fields are dropped, as most real APIs do.
// parseBody turns any failure into a 400 with one {field, message} per problem.
import { z } from 'zod';
import { ASSET_TYPES, ASSET_TYPE_NAMES, DAMAGE_TYPE_IDS } from './catalog.js';
import { badRequest, type FieldError } from './errors.js';

/** A schema's own message, except that an absent field still reads "is required". */
const unlessMissing = (message: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : message);
const str = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const nullableStr = (max: number) => str(max).nullable().optional();
const id = z.int().positive();
const nullableId = id.nullable().optional();
const date = z.iso.date('must be a date in YYYY-MM-DD format').nullable().optional();

const assetTypeId = id.refine((v) => ASSET_TYPE_NAMES.has(v), {
  message: `must be a known asset type: ${ASSET_TYPES.map((t) => `${t.id} (${t.name})`).join(', ')}`,
});
const serialNumber = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters');

/** Fields every asset write may carry, all optional. */
const optionalAssetFields = {
  year: z.int().min(1970, 'must be between 1970 and 2100').max(2100, 'must be between 1970 and 2100').nullable().optional(),
  make: nullableStr(100),
  model: nullableStr(100),
  asset_damage_type_id: nullableId.refine((v) => v === null || v === undefined || DAMAGE_TYPE_IDS.has(v), {
    message: `must be a known damage type id (${[...DAMAGE_TYPE_IDS].join(', ')}) or null`,
  }),
  damage_description: nullableStr(2000),
  carrier: nullableStr(100),
  cpu: nullableStr(100),
  ram: nullableStr(50),
  screen: nullableStr(50),
  purchase_date: date,
  asset_reference: nullableStr(100),
  asset_user_first_name: nullableStr(100),
  asset_user_last_name: nullableStr(100),
  asset_user_address: nullableStr(255),
  asset_user_city: nullableStr(100),
  asset_user_state: nullableStr(100),
  asset_user_postal_code: nullableStr(20),
  asset_user_country: nullableStr(56),
  request_id: nullableId,
  archived: z.boolean().optional(),
  device_master_list_id: nullableId,
  service_provider_org_id: nullableId,
  asset_user_email: str(254)
    .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address')
    .nullable()
    .optional(),
  asset_user_phone: nullableStr(40),
  end_of_life_date: date,
};

/** POST /v1/asset/create: serial_number and asset_type_id are required. */
export const createAssetSchema = z.object({
  asset_type_id: assetTypeId,
  serial_number: serialNumber,
  ...optionalAssetFields,
});
export type CreateAssetInput = z.output<typeof createAssetSchema>;

/** PUT /v1/asset/{id}: any subset of the create fields; the required two may not be null. */
export const updateAssetSchema = z.object({
  asset_type_id: assetTypeId.optional(),
  serial_number: serialNumber.optional(),
  ...optionalAssetFields,
});
export type UpdateAssetInput = z.output<typeof updateAssetSchema>;

export const REQUEST_TYPES = ['pickup', 'recycle', 'resale'] as const;

/** POST /v1/asset/request: the spec gives no body; this is the simulator's design. */
export const assetRequestSchema = z.object({
  asset_ids: z
    .array(id, { error: unlessMissing('must be an array of asset ids') })
    .min(1, 'must list at least one asset id')
    .max(500, 'must list at most 500 asset ids')
    .refine((ids) => new Set(ids).size === ids.length, 'must not list an asset id twice'),
  request_type: z.enum(REQUEST_TYPES, { error: unlessMissing(`must be one of: ${REQUEST_TYPES.join(', ')}`) }),
  notes: nullableStr(2000),
});
export type AssetRequestInput = z.output<typeof assetRequestSchema>;

/** POST /v1/asset/confirm: the spec gives no body; this is the simulator's design. */
export const confirmSchema = z.object({ asset_id: id });

/** PUT /v1/pricebook/{id}/{grade}. */
export const gradePriceSchema = z.object({
  price: z.number().min(0, 'must be 0 or more').max(10_000_000, 'must be at most 10000000'),
});

export const signInSchema = z.object({
  username: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  password: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
});

export const refreshSchema = z.object({
  refresh_token: z.string().min(1, 'must not be empty').max(8192, 'must be at most 8192 characters'),
});

/** A grade name in the URL, e.g. "A", "B+", "Grade C". */
export const GRADE_NAME = /^[A-Za-z0-9 +_-]{1,20}$/;

const describe = (input: unknown): string => (input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input);

/** Plain messages for zod's generic issues; messages written on a schema take precedence. */
const errorMap: z.ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${issue.expected === 'int' ? 'integer' : issue.expected}, got ${describe(issue.input)}`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int' ? `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}` : undefined;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int' ? `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}` : undefined;
    default:
      return undefined;
  }
};
const PARSE_OPTIONS = { error: errorMap } as const;

export function toFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : 'body',
    message: issue.message,
  }));
}

/** Validate a parsed JSON body, or throw a 400 that names every bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Request body must be a JSON object', [{ field: 'body', message: `expected object, got ${body === undefined ? 'nothing' : describe(body)}` }]);
  }
  const result = schema.safeParse(body, PARSE_OPTIONS);
  if (!result.success) throw badRequest('Invalid request body', toFieldErrors(result.error));
  return result.data;
}
