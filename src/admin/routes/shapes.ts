/**
 * Schema pieces the administration routes share. Written with TypeBox, so one
 * declaration validates the input, types the handler, serializes the output
 * and documents the route in /openapi.json.
 *
 * Response objects declare every property optional: `select` leaves fields out.
 */
import { Type, type TSchema } from 'typebox';
import { errorResponse } from '../../http/errorHandling.js';
import { DATE_PATTERN } from './protocol.js';

export const USERS_VERSIONS = ['5.0', '6.0', '4.0'] as const;
export const GROUPS_VERSIONS = ['1.0', '3.0', '4.0', '2.0'] as const;
export const PROFILES_VERSIONS = ['4.0'] as const;
export const OWN_VERSIONS = ['1.0'] as const;

export const BASE = '/api/account/:accountId/configuration';

export const str = (maxLength: number, description?: string) => Type.String({ maxLength, ...(description && { description }) });
// `type: [T, "null"]` and `enum`, as the routes have always declared them (the same validation messages).
export const nullableInteger = () => Type.Unsafe<number | null>({ type: ['integer', 'null'] });
export const stringEnum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description && { description }) });
export const nullableString = (description?: string) => Type.Unsafe<string | null>({ type: ['string', 'null'], ...(description && { description }) });
export const dateString = Type.String({ pattern: DATE_PATTERN, description: 'YYYY-MM-DD HH:mm:ss, UTC' });
export const intArray = (maxItems: number) => Type.Array(Type.Integer(), { maxItems });
/** A read-only field in a write's body: accepted, so an item read can be sent back, and ignored. */
export const readOnly = Type.Optional(Type.Unknown({ description: 'Read-only: ignored on write' }));
/** Every property optional, nothing else changed. */
export const out = <T extends Record<string, TSchema>>(properties: T) => Type.Partial(Type.Object(properties));

export const accountParams = Type.Object({ accountId: Type.String({ maxLength: 64, description: 'Account id (digits)' }) });
export const idParams = (type: 'string' | 'integer') =>
  Type.Object({
    accountId: accountParams.properties.accountId,
    id: type === 'string' ? Type.String({ maxLength: 64 }) : Type.String({ pattern: '^-?[0-9]{1,9}$', description: 'An integer id' }),
  });

export const readQuery = (versions: readonly string[]) =>
  Type.Object(
    {
      v: Type.Optional(Type.String({ description: `API version: ${versions.join(', ')} (default ${versions[versions.length - 1]})` })),
      select: Type.Optional(Type.String({ maxLength: 2048, description: '$all (default) or a comma-separated list of field names' })),
    },
    { additionalProperties: false },
  );
export const readQueryWithDeleted = (versions: readonly string[]) =>
  Type.Object(
    {
      ...readQuery(versions).properties,
      include_deleted: Type.Optional(stringEnum(['true', 'false'], 'Show deleted items too')),
    },
    { additionalProperties: false },
  );
export const writeQuery = (versions: readonly string[]) =>
  Type.Object({ v: Type.Optional(Type.String({ description: `API version: ${versions.join(', ')}` })) }, { additionalProperties: false });

export const ifMatch = Type.Object({ 'if-match': Type.Optional(Type.String({ description: 'The revision this write expects (412 if it moved on)' })) });

const errorsOf = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorResponse])) as Record<number, typeof errorResponse>;
export const READ_ERRORS = errorsOf(400, 401, 403, 404);
export const WRITE_ERRORS = errorsOf(400, 401, 403, 404, 409, 412);

/** Answered by a deletion: the item and `deleted: true`. */
export const deletedOut = (id: 'string' | 'integer') => out({ id: id === 'string' ? Type.String() : Type.Integer(), deleted: Type.Boolean() });
