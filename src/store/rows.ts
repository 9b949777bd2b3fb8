/**
 * Rows of the SQL backends and their mapping to the domain. SQLite and
 * PostgreSQL share column names; they differ only in how a boolean (0/1 vs
 * true/false) and a JSON value (text vs parsed jsonb) come back, which the two
 * readers below absorb.
 */
import type { Account } from '../accounts/model.js';
import type { AuditEvent } from '../events/model.js';
import type { Counter } from '../security/counters.js';
import type { BearerSession, SessionRecord } from '../sessions/model.js';
import type { AgentGroup, ApiKey, ApiKeyPatch, GroupAssignment, Profile, RoleTypeId, User } from '../directory/model.js';
import type { AuthorizationCode, InstallationFields, RefreshToken, SigningAlg, SigningKey } from '../oauth/model.js';

type SqlBoolean = boolean | number;
type SqlJson<T> = T | string;

const bool = (v: SqlBoolean): boolean => v === true || v === 1;
const json = <T>(v: SqlJson<T>): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export interface AccountRow {
  account_id: string;
  name: string;
  time_zone: string;
  settings: SqlJson<Account['settings']>;
  created_at: number;
}

export const toAccount = (r: AccountRow): Account => ({
  accountId: r.account_id,
  name: r.name,
  timeZone: r.time_zone,
  settings: json(r.settings),
  createdAt: r.created_at,
});

export interface UserRow {
  user_id: string;
  account_id: string;
  login_name: string;
  user_pid: string;
  is_bot: SqlBoolean;
  app_key: string | null;
  password_hash: string | null;
  password_changed_at: number | null;
  last_login_at: number | null;
  is_lpa: SqlBoolean;
  enabled: SqlBoolean;
  created_at: number;
  full_name: string;
  nickname: string;
  email: string;
  employee_id: string;
  description: string;
  mobile_number: string;
  max_chats: number;
  skill_ids: SqlJson<number[]>;
  member_of: SqlJson<GroupAssignment> | null;
  manager_of: SqlJson<GroupAssignment[]>;
  profile_ids: SqlJson<number[]>;
  change_pwd_next_login: SqlBoolean;
  deleted: SqlBoolean;
  updated_at: number;
}

export const toUser = (r: UserRow): User => ({
  accountId: r.account_id,
  userId: r.user_id,
  userPid: r.user_pid,
  loginName: r.login_name,
  isBot: bool(r.is_bot),
  appKey: r.app_key,
  passwordHash: r.password_hash,
  passwordChangedAt: r.password_changed_at,
  lastLoginAt: r.last_login_at,
  isLPA: bool(r.is_lpa),
  enabled: bool(r.enabled),
  createdAt: r.created_at,
  fullName: r.full_name,
  nickname: r.nickname,
  email: r.email,
  employeeId: r.employee_id,
  description: r.description,
  mobileNumber: r.mobile_number,
  maxChats: r.max_chats,
  skillIds: json(r.skill_ids),
  memberOf: r.member_of === null ? null : json(r.member_of),
  managerOf: json(r.manager_of),
  profileIds: json(r.profile_ids),
  changePwdNextLogin: bool(r.change_pwd_next_login),
  deleted: bool(r.deleted),
  updatedAt: r.updated_at,
});

/** The values of a user's columns, named as the columns, for both SQL backends' writes. */
export function userColumns(u: User, loginNameKey: string) {
  return {
    user_id: u.userId,
    account_id: u.accountId,
    login_name: u.loginName,
    login_name_key: loginNameKey,
    user_pid: u.userPid,
    is_bot: u.isBot,
    app_key: u.appKey,
    password_hash: u.passwordHash,
    password_changed_at: u.passwordChangedAt,
    last_login_at: u.lastLoginAt,
    is_lpa: u.isLPA,
    enabled: u.enabled,
    created_at: u.createdAt,
    full_name: u.fullName,
    nickname: u.nickname,
    email: u.email,
    employee_id: u.employeeId,
    description: u.description,
    mobile_number: u.mobileNumber,
    max_chats: u.maxChats,
    skill_ids: JSON.stringify(u.skillIds),
    member_of: u.memberOf === null ? null : JSON.stringify(u.memberOf),
    manager_of: JSON.stringify(u.managerOf),
    profile_ids: JSON.stringify(u.profileIds),
    change_pwd_next_login: u.changePwdNextLogin,
    deleted: u.deleted,
    updated_at: u.updatedAt,
  };
}

export const USER_COLUMNS = Object.keys(userColumns({ skillIds: [], managerOf: [], profileIds: [], memberOf: null } as unknown as User, ''));
/** What replacing a user rewrites: not its keys, nor the last login, which logins record beside administrators' writes. */
export const isReplacedUserColumn = (c: string): boolean => c !== 'user_id' && c !== 'account_id' && c !== 'last_login_at';

export interface AgentGroupRow {
  group_id: number;
  name: string;
  description: string;
  parent_group_id: number | null;
  is_enabled: SqlBoolean;
  deleted: SqlBoolean;
  updated_at: number;
}

export const toAgentGroup = (r: AgentGroupRow): AgentGroup => ({
  id: r.group_id,
  name: r.name,
  description: r.description,
  parentGroupId: r.parent_group_id,
  isEnabled: bool(r.is_enabled),
  deleted: bool(r.deleted),
  updatedAt: r.updated_at,
});

export interface ProfileRow {
  profile_id: number;
  name: string;
  description: string;
  role_type_id: number;
  permissions: SqlJson<number[]>;
  built_in: SqlBoolean;
  updated_at: number;
}

export const toProfile = (r: ProfileRow): Profile => ({
  id: r.profile_id,
  name: r.name,
  description: r.description,
  roleTypeId: r.role_type_id as RoleTypeId,
  permissions: json(r.permissions),
  builtIn: bool(r.built_in),
  updatedAt: r.updated_at,
});

export interface ApiKeyRow {
  account_id: string;
  app_key: string;
  name: string;
  type: string;
  secret_hash: string;
  access_token_hash: string | null;
  access_token_secret_hash: string | null;
  created_at: number;
  revoked_at: number | null;
  installation: SqlJson<InstallationFields> | null;
  ip_allowlist: SqlJson<string[]>;
}

export const toApiKey = (r: ApiKeyRow): ApiKey => ({
  accountId: r.account_id,
  appKey: r.app_key,
  name: r.name,
  type: r.type === 'oauth2' ? 'oauth2' : 'oauth1',
  secretHash: r.secret_hash,
  accessTokenHash: r.access_token_hash,
  accessTokenSecretHash: r.access_token_secret_hash,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  installation: r.installation === null ? null : json(r.installation),
  ipAllowlist: json(r.ip_allowlist),
});

/** The values of an API key's columns, named as the columns, for both SQL backends' writes (JSON as text). */
export const apiKeyColumns = (k: ApiKey) => ({
  account_id: k.accountId,
  app_key: k.appKey,
  name: k.name,
  type: k.type,
  secret_hash: k.secretHash,
  access_token_hash: k.accessTokenHash,
  access_token_secret_hash: k.accessTokenSecretHash,
  created_at: k.createdAt,
  revoked_at: k.revokedAt,
  installation: k.installation === null ? null : JSON.stringify(k.installation),
  ip_allowlist: JSON.stringify(k.ipAllowlist),
});

export const API_KEY_COLUMNS = Object.keys(apiKeyColumns({ installation: null, ipAllowlist: [] } as unknown as ApiKey));

/** The columns an ApiKeyPatch sets, with their values (JSON as text). */
export function apiKeyPatchColumns(patch: ApiKeyPatch): Array<[string, string | null]> {
  const sets: Array<[string, string | null]> = [];
  if (patch.name !== undefined) sets.push(['name', patch.name]);
  if (patch.secretHash !== undefined) sets.push(['secret_hash', patch.secretHash]);
  if (patch.installation !== undefined) sets.push(['installation', patch.installation === null ? null : JSON.stringify(patch.installation)]);
  if (patch.ipAllowlist !== undefined) sets.push(['ip_allowlist', JSON.stringify(patch.ipAllowlist)]);
  return sets;
}

export interface SessionRow {
  id_hash: string;
  bearer_hash: string;
  csrf_hash: string;
  account_id: string;
  user_id: string;
  login_name: string;
  privileges: SqlJson<number[]>;
  is_admin: SqlBoolean;
  is_lpa: SqlBoolean;
  app_key: string | null;
  amr: string;
  wsuk: string;
  created_at: number;
  expires_at: number;
  ttl_ms: number;
  hard_expires_at: number | null;
  client_ip: string | null;
  user_agent: string | null;
}

/**
 * The columns of a BearerSession, for both SQL backends' bearer read, which
 * returns them as an array (better-sqlite3's raw mode, pg's rowMode 'array'):
 * the hottest read makes no object per row.
 */
export const BEARER_SESSION_COLUMNS = 'account_id, user_id, login_name, privileges, is_admin, is_lpa, app_key, created_at, expires_at, hard_expires_at, amr';

/** A row in BEARER_SESSION_COLUMNS order. */
export type BearerSessionValues = [string, string, string, SqlJson<number[]>, SqlBoolean, SqlBoolean, string | null, number, number, number | null, string];

const AMR_CACHE_LIMIT = 64;
const amrByText = new Map<string, string[]>();

/**
 * A session's amr column (JSON text) as an array. The values are few (one per
 * combination of login methods), so each is parsed once and shared, frozen:
 * the bearer check reads it on every call and need not parse it each time.
 */
export function amrFromText(text: string): string[] {
  let amr = amrByText.get(text);
  if (amr) return amr;
  amr = Object.freeze(JSON.parse(text) as string[]) as string[];
  if (amrByText.size < AMR_CACHE_LIMIT) amrByText.set(text, amr);
  return amr;
}

export const bearerSessionFromValues = (v: BearerSessionValues): BearerSession => ({
  accountId: v[0],
  userId: v[1],
  loginName: v[2],
  privileges: json(v[3]),
  isAdmin: bool(v[4]),
  isLPA: bool(v[5]),
  appKey: v[6],
  amr: amrFromText(v[10]),
  createdAt: v[7],
  expiresAt: v[8],
  hardExpiresAt: v[9],
});

// Written out rather than built on bearerSessionFromValues: refresh and logout read through it, and an
// intermediate array and object spread would make each of those reads dearer.
export const toSession = (r: SessionRow): SessionRecord => ({
  idHash: r.id_hash,
  bearerHash: r.bearer_hash,
  csrfHash: r.csrf_hash,
  accountId: r.account_id,
  userId: r.user_id,
  loginName: r.login_name,
  privileges: json(r.privileges),
  isAdmin: bool(r.is_admin),
  isLPA: bool(r.is_lpa),
  appKey: r.app_key,
  amr: amrFromText(r.amr),
  wsuk: r.wsuk,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  ttlMs: r.ttl_ms,
  hardExpiresAt: r.hard_expires_at,
  clientIp: r.client_ip,
  userAgent: r.user_agent,
});

export interface CounterRow {
  count: number;
  reset_at: number;
  updated_at: number;
}

export const toCounter = (r: CounterRow): Counter => ({ count: r.count, resetAt: r.reset_at, updatedAt: r.updated_at });

export interface EventRow {
  id: number;
  time: number;
  account_id: string;
  type: string;
  user_id: string | null;
  login_name: string | null;
  client_ip: string | null;
  user_agent: string | null;
  detail: SqlJson<Record<string, unknown>>;
}

export const toEvent = (r: EventRow): AuditEvent => ({
  id: r.id,
  time: r.time,
  accountId: r.account_id,
  type: r.type,
  userId: r.user_id,
  loginName: r.login_name,
  clientIp: r.client_ip,
  userAgent: r.user_agent,
  detail: json(r.detail),
});

export interface AuthorizationCodeRow {
  code_hash: string;
  account_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  nonce: string | null;
  code_challenge: string | null;
  auth_time: number;
  amr: string;
  family_id: string;
  created_at: number;
  expires_at: number;
  uses: number;
}

export const toAuthorizationCode = (r: AuthorizationCodeRow): AuthorizationCode => ({
  codeHash: r.code_hash,
  accountId: r.account_id,
  clientId: r.client_id,
  userId: r.user_id,
  redirectUri: r.redirect_uri,
  scope: r.scope,
  nonce: r.nonce,
  codeChallenge: r.code_challenge,
  authTime: r.auth_time,
  amr: JSON.parse(r.amr) as string[],
  familyId: r.family_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** The values of a code's columns in AUTHORIZATION_CODE_COLUMNS order (uses starts at 0). */
export const authorizationCodeValues = (c: AuthorizationCode) => [
  c.codeHash, c.accountId, c.clientId, c.userId, c.redirectUri, c.scope, c.nonce, c.codeChallenge, c.authTime, JSON.stringify(c.amr), c.familyId, c.createdAt, c.expiresAt,
];
export const AUTHORIZATION_CODE_COLUMNS = 'code_hash, account_id, client_id, user_id, redirect_uri, scope, nonce, code_challenge, auth_time, amr, family_id, created_at, expires_at';

export interface RefreshTokenRow {
  token_hash: string;
  family_id: string;
  account_id: string;
  client_id: string;
  user_id: string;
  scope: string;
  auth_time: number;
  amr: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
}

export const toRefreshToken = (r: RefreshTokenRow): RefreshToken => ({
  tokenHash: r.token_hash,
  familyId: r.family_id,
  accountId: r.account_id,
  clientId: r.client_id,
  userId: r.user_id,
  scope: r.scope,
  authTime: r.auth_time,
  amr: JSON.parse(r.amr) as string[],
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** The values of a refresh token's columns in REFRESH_TOKEN_COLUMNS order (a new token is current: rotated_at null). */
export const refreshTokenValues = (t: RefreshToken) => [
  t.tokenHash, t.familyId, t.accountId, t.clientId, t.userId, t.scope, t.authTime, JSON.stringify(t.amr), t.createdAt, t.expiresAt,
];
export const REFRESH_TOKEN_COLUMNS = 'token_hash, family_id, account_id, client_id, user_id, scope, auth_time, amr, created_at, expires_at';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

export const toSigningKey = (r: SigningKeyRow): SigningKey => ({
  kid: r.kid,
  alg: r.alg as SigningAlg,
  privateJwk: r.private_jwk,
  publicJwk: r.public_jwk,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
});
