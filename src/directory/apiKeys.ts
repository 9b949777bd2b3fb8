/**
 * API keys: issue, revoke, list. A key is what a bot logs in with (its user's
 * `allowedAppKeys`) and what a client authenticates with (token introspection).
 * The secrets exist in plaintext only in the value `issueApiKey` returns.
 */
import { requireAccount } from '../accounts/service.js';
import { LONGEST_ACCESS_TOKEN_MS } from '../accounts/settings.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { recordAdminEvent, type AdminContext } from '../events/actor.js';
import { parseAllowlist } from '../security/networks.js';
import { hashToken, randomToken } from '../security/tokens.js';
import { API_KEY_TYPES, type ApiKey, type ApiKeyType } from './model.js';

/** What an oauth2 key is: client id and client secret. */
export interface IssuedClientCredentials {
  appKey: string;
  secret: string;
}

/** The four values of an oauth1 key. */
export interface IssuedApiKey extends IssuedClientCredentials {
  accessToken: string;
  accessTokenSecret: string;
}

type KeyContext = Omit<AdminContext, 'hasher'>;

export interface IssueOptions {
  /** Addresses the key may be used from (addresses, FROM-TO ranges, CIDR blocks; security/networks.ts); empty or absent: anywhere. */
  ipAllowlist?: readonly unknown[];
}

/** Issues a key of the given type (oauth1 by default: four values; oauth2: appKey and secret only). */
export async function issueApiKey(ctx: KeyContext, accountId: string, name?: string, type?: 'oauth1', options?: IssueOptions): Promise<{ key: ApiKey; issued: IssuedApiKey }>;
export async function issueApiKey(ctx: KeyContext, accountId: string, name?: string, type?: ApiKeyType, options?: IssueOptions): Promise<{ key: ApiKey; issued: IssuedApiKey | IssuedClientCredentials }>;
export async function issueApiKey(ctx: KeyContext, accountId: string, name?: string, type: ApiKeyType = 'oauth1', options: IssueOptions = {}): Promise<{ key: ApiKey; issued: IssuedApiKey | IssuedClientCredentials }> {
  if (name !== undefined && name.length > 256) throw new InvalidInputError('name must be at most 256 characters');
  const ipAllowlist = parseAllowlist(options.ipAllowlist ?? []);
  await requireAccount(ctx, accountId);
  if (!API_KEY_TYPES.includes(type)) throw new InvalidInputError(`key type must be one of ${API_KEY_TYPES.join(', ')}`);
  const credentials: IssuedClientCredentials = { appKey: randomToken().slice(0, 32), secret: randomToken() };
  const issued: IssuedApiKey | IssuedClientCredentials =
    type === 'oauth1' ? { ...credentials, accessToken: randomToken().slice(0, 32), accessTokenSecret: randomToken() } : credentials;
  const key: ApiKey = {
    accountId,
    appKey: issued.appKey,
    name: name ?? '',
    type,
    secretHash: hashToken(issued.secret),
    accessTokenHash: 'accessToken' in issued ? hashToken(issued.accessToken) : null,
    accessTokenSecretHash: 'accessTokenSecret' in issued ? hashToken(issued.accessTokenSecret) : null,
    createdAt: ctx.clock.now(),
    revokedAt: null,
    installation: null,
    ipAllowlist,
  };
  // An oauth2 key is an installation too (oauth/installations.ts): its list moves on.
  if (type === 'oauth2') await ctx.stores.directory.claimRevision(accountId, 'installations', undefined);
  await ctx.stores.apiKeys.createApiKey(key);
  await recordAdminEvent(ctx, accountId, 'apikey_create', { appKey: key.appKey, name: key.name, type: key.type, ...(ipAllowlist.length > 0 && { ipAllowlist }) });
  return { key, issued };
}

/**
 * Revokes the key and ends the sessions of the bots that logged in with it;
 * returns how many ended. An oauth2 key is an installation: revoking it
 * removes the installation, so the tokens issued to it end too.
 */
export async function revokeKey(ctx: KeyContext, accountId: string, appKey: string): Promise<number> {
  await requireAccount(ctx, accountId);
  const key = appKey.length <= 256 ? await ctx.stores.apiKeys.getApiKey(accountId, appKey) : null;
  if (!key || !(await ctx.stores.apiKeys.revokeApiKey(accountId, appKey, ctx.clock.now()))) {
    throw new NotFoundError(`API key ${appKey} is not an active key of account ${accountId}`);
  }
  const sessionsEnded = await ctx.stores.sessions.deleteAppKeySessions(accountId, appKey);
  let grantsEnded: number | undefined;
  if (key.type === 'oauth2') {
    await ctx.stores.directory.claimRevision(accountId, 'installations', undefined);
    // As long as the longest access token can live: none of theirs is accepted again.
    grantsEnded = await ctx.stores.oauth.revokeClientGrants(accountId, appKey, ctx.clock.now() + LONGEST_ACCESS_TOKEN_MS);
  }
  await recordAdminEvent(ctx, accountId, 'apikey_revoke', { appKey, sessionsEnded, ...(grantsEnded !== undefined && { grantsEnded }) });
  return sessionsEnded;
}

/** The keys, with the login names of the bots allowed each (never a secret). */
export async function listApiKeys(ctx: { stores: AdminContext['stores'] }, accountId: string): Promise<Array<{ key: ApiKey; bots: string[] }>> {
  const account = await requireAccount(ctx, accountId);
  const [keys, users] = await Promise.all([ctx.stores.apiKeys.listApiKeys(account.accountId), ctx.stores.users.listUsers(account.accountId)]);
  return keys.map((key) => ({ key, bots: users.filter((u) => u.isBot && (u.appKey ?? '').split(',').includes(key.appKey)).map((u) => u.loginName) }));
}
