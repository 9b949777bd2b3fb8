/** Small helpers shared by routes. */
import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'Session_id';

/** Who sent a request, as far as the server can tell (what features record about a caller). */
export interface RequestClient {
  ip: string | null;
  userAgent: string | null;
}

export function clientInfo(request: FastifyRequest): RequestClient {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null };
}

/** The token of an `Authorization: Bearer <token>` header, or null when absent or malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([A-Za-z0-9._~+/-]{1,512}=*)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** Query parameter `v`: absent means 1.3, and 1.3 is the only version. */
export const versionQuerySchema = {
  type: 'object',
  properties: { v: { type: 'string', enum: ['1.3'], description: 'API version; only 1.3, the default' } },
} as const;

export const accountParamsSchema = {
  type: 'object',
  required: ['accountId'],
  properties: { accountId: { type: 'string', maxLength: 64, description: 'Account id (digits)' } },
} as const;
