/**
 * What every administration route shares: versions, revisions (`ac-revision`,
 * ETag, If-Match, If-None-Match), `select` and dates. Who may call is decided
 * by the auth plugin (src/http/auth.ts); the actions' errors are answered by
 * the app's one error mapping (src/http/errors.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors.js';
import { ApiError, InternalCode } from '../../http/errors.js';

/** `v`: absent means the newest of `accepted` (listed newest last); anything else not listed is refused. */
export function checkVersion(v: string | undefined, accepted: readonly string[], resource: string): void {
  if (v === undefined || accepted.includes(v)) return;
  throw new ApiError(400, InternalCode.UNSUPPORTED_VERSION, `Unsupported API version: ${resource} accepts v=${accepted.join(', ')}`);
}

/** The revision an `If-Match` names (quotes and a weak prefix optional), or undefined for none or `*`. */
export function expectedRevision(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(String(header));
  if (!m) throw errors.badRequest('Bad request: If-Match must be a revision number');
  return Number(m[1]);
}

/** Sets `ac-revision` and ETag; true when the request's `If-None-Match` already has this revision (answer 304). */
export function revisionHeaders(request: FastifyRequest, reply: FastifyReply, revision: number): boolean {
  reply.header('ac-revision', String(revision));
  reply.header('etag', `"${revision}"`);
  const none = request.headers['if-none-match'];
  if (request.method !== 'GET' || none === undefined) return false;
  return String(none)
    .split(',')
    .some((tag) => tag.trim().replace(/^W\//, '').replace(/"/g, '') === String(revision));
}

/** The fields `select` names (`$all` or absent: null, every field); an unknown name is refused. */
export function selection(select: string | undefined, fields: readonly string[]): string[] | null {
  if (select === undefined || select.trim() === '' || select.trim() === '$all') return null;
  const names = select.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.find((n) => !fields.includes(n));
  if (unknown !== undefined) throw errors.badRequest(`Bad request: select names an unknown field "${unknown.slice(0, 64)}"; fields are ${fields.join(', ')}`);
  return names;
}

/** `item` with only `id` and the selected fields. */
export function project<T extends Record<string, unknown>>(item: T, selected: string[] | null): Partial<T> {
  if (selected === null) return item;
  const out: Record<string, unknown> = { id: item.id };
  for (const name of selected) out[name] = item[name];
  return out as Partial<T>;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "YYYY-MM-DD HH:mm:ss" in UTC, the original's date format. */
export function formatDate(ms: number | null): string | null {
  if (ms === null) return null;
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$';

export function parseDate(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw errors.badRequest(`Bad request: "${text.slice(0, 32)}" is not a date (YYYY-MM-DD HH:mm:ss)`);
  return ms;
}

export { isoTime } from '../../clock.js';
