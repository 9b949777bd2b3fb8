/** Small helpers shared by routes. */
import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'Session_id';

/** Who sent a request, as far as the server can tell (what features record about a caller). */
export interface RequestClient {
  ip: string | null;
  userAgent: string | null;
}

/**
 * The session cookie's value. Its name is matched case-insensitively (some
 * clients send `session_id=`); the exact name wins when both are sent.
 */
export function sessionCookie(request: Pick<FastifyRequest, 'cookies'>): string | undefined {
  const cookies = request.cookies;
  if (cookies[SESSION_COOKIE] !== undefined) return cookies[SESSION_COOKIE];
  const name = Object.keys(cookies).find((k) => k.toLowerCase() === 'session_id');
  return name === undefined ? undefined : cookies[name];
}

export function clientInfo(request: FastifyRequest): RequestClient {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null };
}

/** The token of an `Authorization: Bearer <token>` header, or null when absent or malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([A-Za-z0-9._~+/-]{1,4096}=*)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** Query parameter `v`: absent means 1.3; older clients send 1.2, which has the same contract. */
export const versionQuerySchema = {
  type: 'object',
  properties: { v: { type: 'string', enum: ['1.2', '1.3'], description: 'API version: 1.3 (the default) or 1.2, the same contract' } },
} as const;

export const accountParamsSchema = {
  type: 'object',
  required: ['accountId'],
  properties: { accountId: { type: 'string', maxLength: 64, description: 'Account id (digits)' } },
} as const;
