/**
 * Client authentication at the token, revocation and introspection
 * endpoints: who an installation is, and whether it may do what it asks.
 *
 * Every failed client authentication costs the client address one attempt of
 * the same per-address budget logins draw on (security/bruteForce.ts), and an
 * address that spent it is refused (429) before any secret is looked at. A
 * success writes nothing: client secrets are 256 random bits, so the budget
 * is read, not taken and given back as a password attempt's is
 * (`refuseSpentAddress`).
 */
import type { AuditLog } from '../events/audit.js';
import type { ApiKey } from '../directory/model.js';
import type { BruteForceGuard } from '../security/bruteForce.js';
import { addressAllowed } from '../security/networks.js';
import { hashToken, tokenMatches } from '../security/tokens.js';
import { defaultInstallation, type GrantType, type InstallationFields } from './model.js';
import { OAuthError } from './oauthErrors.js';

/** An installation as the authorization server sees it: its key and its OAuth fields. */
export interface Installation extends InstallationFields {
  accountId: string;
  clientId: string;
  secretHash: string;
  revokedAt: number | null;
  /** Where it may be used from (security/networks.ts); empty: anywhere. */
  ipAllowlist: string[];
}

/** How a request presented its client. */
export type ClientCredentials =
  | { method: 'client_secret_basic' | 'client_secret_post' | 'query'; clientId: string; secret: string }
  /** A public client names itself only (PKCE proves it). */
  | { method: 'none'; clientId: string; secret: null };

/** The installation an API key is, or null when it is not an OAuth 2.0 one. */
export function installationOf(key: ApiKey & { installation?: InstallationFields | null }): Installation | null {
  if (key.type !== 'oauth2') return null;
  const fields = key.installation ?? defaultInstallation(key.name, key.createdAt);
  return { ...fields, accountId: key.accountId, clientId: key.appKey, secretHash: key.secretHash, revokedAt: key.revokedAt, ipAllowlist: key.ipAllowlist };
}

/** Whether the installation can be used at all: not revoked (deleted), enabled. */
export const installationLive = (installation: Installation | null): installation is Installation =>
  installation !== null && installation.revokedAt === null && installation.enabled;

/**
 * Whether the installation may be used from `ip`: its address allowlist
 * (empty: anywhere), applied in this one function so that every endpoint
 * that authenticates a client honours it.
 */
export function clientAddressAllowed(installation: Installation, ip: string | null): boolean {
  return ip === null ? installation.ipAllowlist.length === 0 : addressAllowed(installation.ipAllowlist, ip);
}


const BASIC = /^Basic +([A-Za-z0-9+/]{1,2048}={0,2}) *$/i;

/** appKey and secret of an `Authorization: Basic` header, or null for anything malformed. */
export function basicCredentials(header: string | undefined): { appKey: string; secret: string } | null {
  const m = header ? BASIC.exec(header) : null;
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before the base64.
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    const appKey = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (!appKey || !secret || appKey.length > 256 || secret.length > 512) return null;
    return { appKey, secret };
  } catch {
    return null;
  }
}

// Compared against when the client is unknown, so a miss costs the same as a wrong secret.
const NO_CLIENT_DIGEST = hashToken('no such client');

export interface ClientAuthDeps {
  getApiKey(accountId: string, appKey: string): Promise<ApiKey | null>;
  guard: BruteForceGuard;
  audit: AuditLog;
}

export interface ClientAuthRequest {
  accountId: string;
  accountKnown: boolean;
  credentials: ClientCredentials | null;
  ip: string | null;
  userAgent: string | null;
  now: number;
  /** Introspection: an OAuth 1.0 API key of the account authenticates too, as on the older introspection route (it has no grant). */
  acceptApiKeys?: boolean;
}

/** An oauth1 API key seen as a client that may authenticate and nothing else: no grant, no scope. */
function apiKeyAsClient(key: ApiKey): Installation {
  return { ...defaultInstallation(key.name, key.createdAt), grantTypes: [], accountId: key.accountId, clientId: key.appKey, secretHash: key.secretHash, revokedAt: key.revokedAt, ipAllowlist: key.ipAllowlist };
}

/** The invalid_client refusal: 401 with a challenge when the client tried Basic (RFC 6749 §5.2). */
export function invalidClient(credentials: ClientCredentials | null, description = 'Client authentication failed'): OAuthError {
  const basic = credentials?.method === 'client_secret_basic';
  return new OAuthError('invalid_client', description, 401, basic || credentials === null ? { 'www-authenticate': 'Basic realm="login-service", charset="UTF-8"' } : undefined);
}

/**
 * The live installation the credentials prove, or invalid_client. A public
 * client (`none`) is accepted only when it is registered as one.
 */
export async function authenticateClient(deps: ClientAuthDeps, request: ClientAuthRequest): Promise<Installation> {
  const { credentials } = request;
  await deps.guard.refuseSpentAddress(request.accountId, request.accountKnown, { ip: request.ip, userAgent: request.userAgent }, request.now);
  const key = credentials && request.accountKnown ? await deps.getApiKey(request.accountId, credentials.clientId) : null;
  const installation = key ? (installationOf(key) ?? (request.acceptApiKeys ? apiKeyAsClient(key) : null)) : null;
  let proven: boolean;
  if (credentials === null) proven = false;
  else if (credentials.method === 'none') proven = installation?.tokenEndpointAuthMethod === 'none';
  else {
    const secretOk = tokenMatches(credentials.secret, installation?.secretHash ?? NO_CLIENT_DIGEST);
    proven = secretOk && installation !== null && installation.tokenEndpointAuthMethod !== 'none';
  }
  if (!proven || !installationLive(installation) || !clientAddressAllowed(installation, request.ip)) {
    await deps.guard.countAddressFailure(request.ip, request.now);
    if (credentials !== null) {
      await deps.audit.recordPerMinute({
        accountId: request.accountId,
        accountKnown: request.accountKnown,
        type: 'login_failure',
        clientIp: request.ip,
        detail: { reason: 'client_authentication', method: 'oauth_client' },
      });
    }
    throw invalidClient(credentials);
  }
  return installation;
}

/** unauthorized_client unless the installation has `grant`. */
export function requireGrant(installation: Installation, grant: GrantType): void {
  if (!installation.grantTypes.includes(grant)) throw new OAuthError('unauthorized_client', `This application may not use the ${grant} grant`);
}
