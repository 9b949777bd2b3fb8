/**
 * The administration API: `/api/account/{accountId}/configuration/…`
 * (docs/ADMIN-API.md). Each route checks who calls, validates its input
 * against its JSON schema, and runs the same action as the CLI (directory/, accounts/).
 */
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accountSettings } from '../accounts/model.js';
import { requireAccount, serviceBaseURIs } from '../accounts/service.js';
import { SETTINGS_JSON_SCHEMA_PROPERTIES } from '../accounts/settings.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../events/audit.js';
import { errorResponse } from '../http/errorHandling.js';
import { errors } from '../errors.js';
import { accountParamsSchema } from '../http/request.js';
import type { PasswordHasher } from '../security/passwords.js';
import type { Stores } from '../store/index.js';
import { changeAccount, deleteServiceBaseURI, listEvents, setServiceBaseURI } from '../accounts/actions.js';
import { issueApiKey, listApiKeys, revokeKey } from '../directory/apiKeys.js';
import { createAgentGroups, deleteAgentGroup, replaceAgentGroup, requireAgentGroup, type AgentGroupInput } from '../directory/groups.js';
import type { AgentGroup, ApiKeyType, DirectoryResource, Profile, User } from '../directory/model.js';
import { createProfiles, deleteProfile, replaceProfile, requireProfile, type ProfileInput } from '../directory/profiles.js';
import { listSessions, revokeSessions, sessionView } from '../directory/sessions.js';
import { createUsers, deleteUsers, replaceUser, requireUserById, resetPassword, unlockUser, type UserInput } from '../directory/users.js';
import type { AdminContext } from '../events/actor.js';
import {
  DATE_PATTERN,
  administrator,
  apiErrorOf,
  checkVersion,
  expectedRevision,
  formatDate,
  isoTime,
  parseDate,
  project,
  revisionHeaders,
  selection,
} from './http.js';

export interface AdminRouteDeps {
  stores: Stores;
  clock: Clock;
  hasher: PasswordHasher;
  audit: AuditLog;
  /** This server's host[:port]: the default agentVep base URI. */
  publicHost: string;
}

const USERS_VERSIONS = ['5.0', '6.0', '4.0'] as const;
const GROUPS_VERSIONS = ['1.0', '3.0', '4.0', '2.0'] as const;
const PROFILES_VERSIONS = ['4.0'] as const;
const OWN_VERSIONS = ['1.0'] as const;

// ---------------------------------------------------------------------------
// Shapes

const str = (maxLength: number, description?: string) => ({ type: 'string', maxLength, ...(description && { description }) }) as const;
const dateString = { type: 'string', pattern: DATE_PATTERN, description: 'YYYY-MM-DD HH:mm:ss, UTC' } as const;
const nullableDate = { type: ['string', 'null'], description: 'YYYY-MM-DD HH:mm:ss, UTC' } as const;
const intArray = (maxItems: number) => ({ type: 'array', maxItems, items: { type: 'integer' } }) as const;
const assignmentIn = {
  type: 'object',
  required: ['agentGroupId'],
  additionalProperties: false,
  properties: { agentGroupId: { type: 'integer' }, assignmentDate: dateString },
} as const;
const assignmentOut = { type: 'object', properties: { agentGroupId: { type: 'integer' }, assignmentDate: { type: 'string' } } } as const;

/** A read-only field in a write's body: accepted, so an item read can be sent back, and ignored. */
const readOnly = { description: 'Read-only: ignored on write' } as const;

const USER_FIELDS = [
  'id', 'pid', 'deleted', 'loginName', 'fullName', 'nickname', 'email', 'employeeId', 'description', 'mobileNumber', 'isEnabled', 'maxChats',
  'skillIds', 'memberOf', 'managerOf', 'profileIds', 'isApiUser', 'allowedAppKeys', 'userTypeId', 'changePwdNextLogin', 'lastPwdChangeDate', 'dateUpdated',
] as const;

const userIn = {
  type: 'object',
  required: ['loginName'],
  additionalProperties: false,
  properties: {
    loginName: { type: 'string', minLength: 1, maxLength: 256 },
    password: { type: 'string', maxLength: 4096, description: 'Write-only. Required for a new human; the password policy applies' },
    fullName: str(1024),
    nickname: str(1024),
    email: { type: 'string', maxLength: 254, description: 'Empty, or an email address' },
    employeeId: str(1024),
    description: str(1024),
    mobileNumber: str(1024),
    isEnabled: { type: 'boolean', description: 'Default true; false ends the sessions' },
    maxChats: { type: 'integer', minimum: 0, maximum: 10000 },
    skillIds: intArray(1000),
    memberOf: { anyOf: [assignmentIn, { type: 'null' }], description: 'Default the main group (-1)' },
    managerOf: { type: 'array', maxItems: 1000, items: assignmentIn },
    profileIds: { ...intArray(100), minItems: 1, description: 'Default [2] (Agent)' },
    isApiUser: { type: 'boolean', description: 'A bot: logs in with an API key of allowedAppKeys' },
    allowedAppKeys: str(4096, 'Comma-separated app keys a bot may log in with'),
    changePwdNextLogin: { type: 'boolean' },
    // Read-only: accepted so a user read can be sent back, and ignored.
    id: readOnly, pid: readOnly, deleted: readOnly, userTypeId: readOnly, lastPwdChangeDate: readOnly, dateUpdated: readOnly,
  },
} as const;

const userOut = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    pid: { type: 'string' },
    deleted: { type: 'boolean' },
    loginName: { type: 'string' },
    fullName: { type: 'string' },
    nickname: { type: 'string' },
    email: { type: 'string' },
    employeeId: { type: 'string' },
    description: { type: 'string' },
    mobileNumber: { type: 'string' },
    isEnabled: { type: 'boolean' },
    maxChats: { type: 'integer' },
    skillIds: intArray(1000),
    memberOf: { anyOf: [assignmentOut, { type: 'null' }] },
    managerOf: { type: 'array', items: assignmentOut },
    profileIds: intArray(100),
    isApiUser: { type: 'boolean' },
    allowedAppKeys: { type: 'string' },
    userTypeId: { type: 'integer', description: '1 human, 2 bot' },
    changePwdNextLogin: { type: 'boolean' },
    lastPwdChangeDate: nullableDate,
    dateUpdated: { type: 'string' },
  },
} as const;

const GROUP_FIELDS = ['id', 'name', 'description', 'parentGroupId', 'isEnabled', 'deleted', 'dateUpdated'] as const;
const groupIn = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256 },
    description: str(1024),
    parentGroupId: { type: 'integer', description: 'Default -1, the main group' },
    isEnabled: { type: 'boolean' },
    id: readOnly, deleted: readOnly, dateUpdated: readOnly,
  },
} as const;
const groupOut = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    description: { type: 'string' },
    parentGroupId: { type: ['integer', 'null'] },
    isEnabled: { type: 'boolean' },
    deleted: { type: 'boolean' },
    dateUpdated: { type: 'string' },
  },
} as const;

const PROFILE_FIELDS = ['id', 'name', 'description', 'roleTypeId', 'permissions', 'isAssignedToLPA', 'numOfAssignedUsers', 'dateUpdated'] as const;
const profileIn = {
  type: 'object',
  required: ['name', 'roleTypeId'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256 },
    description: str(1024),
    roleTypeId: { type: 'integer', enum: [1, 2, 3, 4], description: '1 Administrator, 2 Agent, 3 Agent Manager, 4 Campaign Manager' },
    permissions: intArray(10000),
    id: readOnly, isAssignedToLPA: readOnly, numOfAssignedUsers: readOnly, dateUpdated: readOnly,
  },
} as const;
const profileOut = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    description: { type: 'string' },
    roleTypeId: { type: 'integer' },
    permissions: intArray(10000),
    isAssignedToLPA: { type: 'boolean' },
    numOfAssignedUsers: { type: 'integer' },
    dateUpdated: { type: 'string' },
  },
} as const;

const readQuery = (versions: readonly string[], withDeleted: boolean) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      v: { type: 'string', description: `API version: ${versions.join(', ')} (default ${versions[versions.length - 1]})` },
      select: { type: 'string', maxLength: 2048, description: '$all (default) or a comma-separated list of field names' },
      ...(withDeleted && { include_deleted: { type: 'string', enum: ['true', 'false'], description: 'Show deleted items too' } }),
    },
  }) as const;

const writeQuery = (versions: readonly string[]) =>
  ({ type: 'object', additionalProperties: false, properties: { v: { type: 'string', description: `API version: ${versions.join(', ')}` } } }) as const;

const idParams = (type: 'string' | 'integer') =>
  ({
    type: 'object',
    required: ['accountId', 'id'],
    properties: { ...accountParamsSchema.properties, id: type === 'string' ? { type: 'string', maxLength: 64 } : { type: 'string', pattern: '^-?[0-9]{1,9}$', description: 'An integer id' } },
  }) as const;

const ifMatch = { type: 'object', properties: { 'if-match': { type: 'string', description: 'The revision this write expects (412 if it moved on)' } } } as const;

const errorsOf = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorResponse]));
const READ_ERRORS = errorsOf(400, 401, 403, 404);
const WRITE_ERRORS = errorsOf(400, 401, 403, 404, 409, 412);

// ---------------------------------------------------------------------------
// Views

function userView(u: User) {
  return {
    id: u.userId,
    pid: u.userPid,
    deleted: u.deleted,
    loginName: u.loginName,
    fullName: u.fullName,
    nickname: u.nickname,
    email: u.email,
    employeeId: u.employeeId,
    description: u.description,
    mobileNumber: u.mobileNumber,
    isEnabled: u.enabled,
    maxChats: u.maxChats,
    skillIds: u.skillIds,
    memberOf: u.memberOf && { agentGroupId: u.memberOf.agentGroupId, assignmentDate: formatDate(u.memberOf.assignmentDate) },
    managerOf: u.managerOf.map((m) => ({ agentGroupId: m.agentGroupId, assignmentDate: formatDate(m.assignmentDate) })),
    profileIds: u.profileIds,
    isApiUser: u.isBot,
    allowedAppKeys: u.appKey ?? '',
    userTypeId: u.isBot ? 2 : 1,
    changePwdNextLogin: u.changePwdNextLogin,
    lastPwdChangeDate: formatDate(u.passwordChangedAt),
    dateUpdated: formatDate(u.updatedAt),
  };
}

function userInput(body: Record<string, unknown>): UserInput {
  const assignment = (a: { agentGroupId: number; assignmentDate?: string }) => ({ agentGroupId: a.agentGroupId, assignmentDate: a.assignmentDate === undefined ? undefined : parseDate(a.assignmentDate) });
  const b = body as unknown as Omit<UserInput, 'memberOf' | 'managerOf'> & { memberOf?: { agentGroupId: number; assignmentDate?: string } | null; managerOf?: Array<{ agentGroupId: number; assignmentDate?: string }> };
  return {
    loginName: b.loginName,
    password: b.password,
    fullName: b.fullName,
    nickname: b.nickname,
    email: b.email,
    employeeId: b.employeeId,
    description: b.description,
    mobileNumber: b.mobileNumber,
    isEnabled: b.isEnabled,
    maxChats: b.maxChats,
    skillIds: b.skillIds,
    memberOf: b.memberOf === undefined ? undefined : b.memberOf === null ? null : assignment(b.memberOf),
    managerOf: b.managerOf?.map(assignment),
    profileIds: b.profileIds,
    isApiUser: b.isApiUser,
    allowedAppKeys: b.allowedAppKeys,
    changePwdNextLogin: b.changePwdNextLogin,
  };
}

const groupView = (g: AgentGroup) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  parentGroupId: g.parentGroupId,
  isEnabled: g.isEnabled,
  deleted: g.deleted,
  dateUpdated: formatDate(g.updatedAt),
});

const groupInput = (b: Record<string, unknown>): AgentGroupInput => ({
  name: b.name as string,
  description: b.description as string | undefined,
  parentGroupId: b.parentGroupId as number | undefined,
  isEnabled: b.isEnabled as boolean | undefined,
});

const profileView = (p: Profile, assigned: number) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  roleTypeId: p.roleTypeId,
  permissions: p.permissions,
  isAssignedToLPA: false,
  numOfAssignedUsers: assigned,
  dateUpdated: formatDate(p.updatedAt),
});

const profileInput = (b: Record<string, unknown>): ProfileInput => ({
  name: b.name as string,
  description: b.description as string | undefined,
  roleTypeId: b.roleTypeId as number,
  permissions: b.permissions as number[] | undefined,
});

// ---------------------------------------------------------------------------

type Params = { accountId: string; id?: string | number; appKey?: string; service?: string };
type Query = { v?: string; select?: string; include_deleted?: string; user?: string; all?: string; since?: string; limit?: string };
type Req = FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>;

export function adminRoutes(deps: AdminRouteDeps) {
  const { stores, clock } = deps;

  /** The administrator's context for this request; 401/403 otherwise. */
  async function admin(request: Req): Promise<AdminContext> {
    const actor = await administrator(stores, clock, request, request.params.accountId);
    return { stores, clock, hasher: deps.hasher, audit: deps.audit, actor };
  }

  /** Answers a read with its revision headers, or 304 when the client has it. */
  async function read(request: Req, reply: FastifyReply, resource: DirectoryResource, body: () => Promise<unknown>) {
    const revision = await stores.directory.revision(request.params.accountId, resource);
    if (revisionHeaders(request, reply, revision)) return reply.code(304).send();
    return reply.send(await body());
  }

  function written(request: Req, reply: FastifyReply, revision: number, status: number, body: unknown) {
    revisionHeaders(request, reply, revision);
    return reply.code(status).send(body);
  }

  return async function (app: FastifyInstance): Promise<void> {
    // The actions' errors become the API's; the app's error handler renders them.
    app.setErrorHandler((error) => {
      throw apiErrorOf(error) ?? error;
    });

    const base = '/api/account/:accountId/configuration';
    const route = (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      schema: Record<string, unknown>,
      handler: (request: Req, reply: FastifyReply) => Promise<unknown>,
    ) => app.route({ method, url: `${base}${url}`, schema: { params: accountParamsSchema, ...schema }, handler: handler as never });

    // --- Users -------------------------------------------------------------
    const usersTag = { tags: ['admin: users'] };
    route('GET', '/le-users/users', { ...usersTag, summary: 'List users', querystring: readQuery(USERS_VERSIONS, true), response: { 200: { type: 'array', items: userOut }, ...READ_ERRORS } }, async (request, reply) => {
      const ctx = await admin(request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const selected = selection(request.query.select, USER_FIELDS);
      await requireAccount(ctx, request.params.accountId);
      return read(request, reply, 'users', async () =>
        (await stores.users.listUsers(request.params.accountId, { includeDeleted: request.query.include_deleted === 'true' })).map((u) => project(userView(u), selected)),
      );
    });

    route(
      'POST',
      '/le-users/users',
      {
        ...usersTag,
        summary: 'Create a user (object) or several (array, all or nothing)',
        querystring: writeQuery(USERS_VERSIONS),
        headers: ifMatch,
        body: { anyOf: [userIn, { type: 'array', minItems: 1, maxItems: 1000, items: userIn }] },
        response: { 201: { anyOf: [userOut, { type: 'array', items: userOut }] }, ...WRITE_ERRORS },
      },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, USERS_VERSIONS, 'users');
        const many = Array.isArray(request.body);
        const inputs = (many ? (request.body as Record<string, unknown>[]) : [request.body as Record<string, unknown>]).map(userInput);
        const { users, revision } = await createUsers(ctx, request.params.accountId, inputs, { expectedRevision: expectedRevision(request) });
        return written(request, reply, revision, 201, many ? users.map(userView) : userView(users[0]!));
      },
    );

    route('GET', '/le-users/users/:id', { ...usersTag, summary: 'Read a user', params: idParams('string'), querystring: readQuery(USERS_VERSIONS, true), response: { 200: userOut, ...READ_ERRORS } }, async (request, reply) => {
      const ctx = await admin(request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const selected = selection(request.query.select, USER_FIELDS);
      const user = await requireUserById(ctx, request.params.accountId, String(request.params.id), { includeDeleted: request.query.include_deleted === 'true' });
      return read(request, reply, 'users', async () => project(userView(user), selected));
    });

    route(
      'PUT',
      '/le-users/users/:id',
      { ...usersTag, summary: 'Replace a user (left-out fields take their defaults)', params: idParams('string'), querystring: writeQuery(USERS_VERSIONS), headers: ifMatch, body: userIn, response: { 200: userOut, ...WRITE_ERRORS } },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, USERS_VERSIONS, 'users');
        const { user, revision } = await replaceUser(ctx, request.params.accountId, String(request.params.id), userInput(request.body as Record<string, unknown>), {
          expectedRevision: expectedRevision(request),
        });
        return written(request, reply, revision, 200, userView(user));
      },
    );

    const deletedOut = { type: 'object', properties: { id: { type: 'string' }, deleted: { type: 'boolean' } } } as const;
    route(
      'DELETE',
      '/le-users/users/:id',
      { ...usersTag, summary: 'Delete a user (soft): sessions end, the login name is free', params: idParams('string'), querystring: writeQuery(USERS_VERSIONS), headers: ifMatch, response: { 200: deletedOut, ...WRITE_ERRORS } },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, USERS_VERSIONS, 'users');
        const { revision } = await deleteUsers(ctx, request.params.accountId, [String(request.params.id)], { expectedRevision: expectedRevision(request) });
        return written(request, reply, revision, 200, { id: String(request.params.id), deleted: true });
      },
    );

    route(
      'DELETE',
      '/le-users/users',
      {
        ...usersTag,
        summary: 'Delete several users (all or nothing)',
        querystring: writeQuery(USERS_VERSIONS),
        headers: ifMatch,
        body: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', maxLength: 64 } },
        response: { 200: { type: 'array', items: deletedOut }, ...WRITE_ERRORS },
      },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, USERS_VERSIONS, 'users');
        const ids = request.body as string[];
        const { revision } = await deleteUsers(ctx, request.params.accountId, ids, { expectedRevision: expectedRevision(request) });
        return written(request, reply, revision, 200, ids.map((id) => ({ id, deleted: true })));
      },
    );

    route(
      'PUT',
      '/le-users/users/:id/resetPassword',
      {
        ...usersTag,
        summary: "Set a human's password (policy applies); the user's sessions end",
        params: idParams('string'),
        querystring: writeQuery(USERS_VERSIONS),
        body: { type: 'object', required: ['newPassword'], additionalProperties: false, properties: { newPassword: { type: 'string', maxLength: 4096 } } },
        response: { 200: { type: 'object', properties: { id: { type: 'string' } } }, ...WRITE_ERRORS },
      },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, USERS_VERSIONS, 'users');
        const user = await requireUserById(ctx, request.params.accountId, String(request.params.id));
        await resetPassword(ctx, user, (request.body as { newPassword: string }).newPassword);
        return written(request, reply, await stores.directory.revision(request.params.accountId, 'users'), 200, { id: user.userId });
      },
    );

    route(
      'PUT',
      '/le-users/users/:id/unlock',
      {
        ...usersTag,
        summary: "Lift a brute-force lockout: the user's failed logins are forgotten (ours; the original has no such route)",
        params: idParams('string'),
        querystring: writeQuery(USERS_VERSIONS),
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, wasLocked: { type: 'boolean' }, failuresCleared: { type: 'integer' } } }, ...WRITE_ERRORS },
      },
      async (request) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, USERS_VERSIONS, 'users');
        const user = await requireUserById(ctx, request.params.accountId, String(request.params.id));
        return { id: user.userId, ...(await unlockUser(ctx, user)) };
      },
    );

    // --- Agent groups ------------------------------------------------------
    const groupsTag = { tags: ['admin: agent groups'] };
    route('GET', '/le-users/agentGroups', { ...groupsTag, summary: 'List agent groups', querystring: readQuery(GROUPS_VERSIONS, true), response: { 200: { type: 'array', items: groupOut }, ...READ_ERRORS } }, async (request, reply) => {
      const ctx = await admin(request);
      checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
      const selected = selection(request.query.select, GROUP_FIELDS);
      await requireAccount(ctx, request.params.accountId);
      return read(request, reply, 'agentGroups', async () =>
        (await stores.directory.listAgentGroups(request.params.accountId, { includeDeleted: request.query.include_deleted === 'true' })).map((g) => project(groupView(g), selected)),
      );
    });

    route(
      'POST',
      '/le-users/agentGroups',
      {
        ...groupsTag,
        summary: 'Create an agent group (object) or several (array, all or nothing)',
        querystring: writeQuery(GROUPS_VERSIONS),
        headers: ifMatch,
        body: { anyOf: [groupIn, { type: 'array', minItems: 1, maxItems: 1000, items: groupIn }] },
        response: { 201: { anyOf: [groupOut, { type: 'array', items: groupOut }] }, ...WRITE_ERRORS },
      },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
        const many = Array.isArray(request.body);
        const inputs = (many ? (request.body as Record<string, unknown>[]) : [request.body as Record<string, unknown>]).map(groupInput);
        const { groups, revision } = await createAgentGroups(ctx, request.params.accountId, inputs, { expectedRevision: expectedRevision(request) });
        return written(request, reply, revision, 201, many ? groups.map(groupView) : groupView(groups[0]!));
      },
    );

    route('GET', '/le-users/agentGroups/:id', { ...groupsTag, summary: 'Read an agent group', params: idParams('integer'), querystring: readQuery(GROUPS_VERSIONS, true), response: { 200: groupOut, ...READ_ERRORS } }, async (request, reply) => {
      const ctx = await admin(request);
      checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
      const selected = selection(request.query.select, GROUP_FIELDS);
      const group = await requireAgentGroup(ctx, request.params.accountId, Number(request.params.id), { includeDeleted: request.query.include_deleted === 'true' });
      return read(request, reply, 'agentGroups', async () => project(groupView(group), selected));
    });

    route(
      'PUT',
      '/le-users/agentGroups/:id',
      { ...groupsTag, summary: 'Replace an agent group', params: idParams('integer'), querystring: writeQuery(GROUPS_VERSIONS), headers: ifMatch, body: groupIn, response: { 200: groupOut, ...WRITE_ERRORS } },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
        const { group, revision } = await replaceAgentGroup(ctx, request.params.accountId, Number(request.params.id), groupInput(request.body as Record<string, unknown>), {
          expectedRevision: expectedRevision(request),
        });
        return written(request, reply, revision, 200, groupView(group));
      },
    );

    route(
      'DELETE',
      '/le-users/agentGroups/:id',
      {
        ...groupsTag,
        summary: 'Delete an agent group (soft); 409 while it has members, managers or child groups',
        params: idParams('integer'),
        querystring: writeQuery(GROUPS_VERSIONS),
        headers: ifMatch,
        response: { 200: { type: 'object', properties: { id: { type: 'integer' }, deleted: { type: 'boolean' } } }, ...WRITE_ERRORS },
      },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
        const { group, revision } = await deleteAgentGroup(ctx, request.params.accountId, Number(request.params.id), { expectedRevision: expectedRevision(request) });
        return written(request, reply, revision, 200, { id: group.id, deleted: true });
      },
    );

    // --- Profiles ----------------------------------------------------------
    const profilesTag = { tags: ['admin: profiles'] };
    const assignedCounts = async (accountId: string) => {
      const counts = new Map<number, number>();
      for (const u of await stores.users.listUsers(accountId)) for (const id of u.profileIds) counts.set(id, (counts.get(id) ?? 0) + 1);
      return counts;
    };
    route('GET', '/le-users/profiles', { ...profilesTag, summary: 'List profiles', querystring: readQuery(PROFILES_VERSIONS, false), response: { 200: { type: 'array', items: profileOut }, ...READ_ERRORS } }, async (request, reply) => {
      const ctx = await admin(request);
      checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
      const selected = selection(request.query.select, PROFILE_FIELDS);
      await requireAccount(ctx, request.params.accountId);
      return read(request, reply, 'profiles', async () => {
        const counts = await assignedCounts(request.params.accountId);
        return (await stores.directory.listProfiles(request.params.accountId)).map((p) => project(profileView(p, counts.get(p.id) ?? 0), selected));
      });
    });

    route(
      'POST',
      '/le-users/profiles',
      {
        ...profilesTag,
        summary: 'Create a profile (object) or several (array, all or nothing)',
        querystring: writeQuery(PROFILES_VERSIONS),
        headers: ifMatch,
        body: { anyOf: [profileIn, { type: 'array', minItems: 1, maxItems: 1000, items: profileIn }] },
        response: { 201: { anyOf: [profileOut, { type: 'array', items: profileOut }] }, ...WRITE_ERRORS },
      },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
        const many = Array.isArray(request.body);
        const inputs = (many ? (request.body as Record<string, unknown>[]) : [request.body as Record<string, unknown>]).map(profileInput);
        const { profiles, revision } = await createProfiles(ctx, request.params.accountId, inputs, { expectedRevision: expectedRevision(request) });
        return written(request, reply, revision, 201, many ? profiles.map((p) => profileView(p, 0)) : profileView(profiles[0]!, 0));
      },
    );

    route('GET', '/le-users/profiles/:id', { ...profilesTag, summary: 'Read a profile', params: idParams('integer'), querystring: readQuery(PROFILES_VERSIONS, false), response: { 200: profileOut, ...READ_ERRORS } }, async (request, reply) => {
      const ctx = await admin(request);
      checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
      const selected = selection(request.query.select, PROFILE_FIELDS);
      const profile = await requireProfile(ctx, request.params.accountId, Number(request.params.id));
      return read(request, reply, 'profiles', async () => project(profileView(profile, (await assignedCounts(request.params.accountId)).get(profile.id) ?? 0), selected));
    });

    route(
      'PUT',
      '/le-users/profiles/:id',
      { ...profilesTag, summary: 'Replace a profile', params: idParams('integer'), querystring: writeQuery(PROFILES_VERSIONS), headers: ifMatch, body: profileIn, response: { 200: profileOut, ...WRITE_ERRORS } },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
        const { profile, revision } = await replaceProfile(ctx, request.params.accountId, Number(request.params.id), profileInput(request.body as Record<string, unknown>), {
          expectedRevision: expectedRevision(request),
        });
        return written(request, reply, revision, 200, profileView(profile, (await assignedCounts(request.params.accountId)).get(profile.id) ?? 0));
      },
    );

    route(
      'DELETE',
      '/le-users/profiles/:id',
      {
        ...profilesTag,
        summary: 'Delete a profile; 409 while it is assigned to users, or built in',
        params: idParams('integer'),
        querystring: writeQuery(PROFILES_VERSIONS),
        headers: ifMatch,
        response: { 200: { type: 'object', properties: { id: { type: 'integer' }, deleted: { type: 'boolean' } } }, ...WRITE_ERRORS },
      },
      async (request, reply) => {
        const ctx = await admin(request);
        checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
        const { profile, revision } = await deleteProfile(ctx, request.params.accountId, Number(request.params.id), { expectedRevision: expectedRevision(request) });
        return written(request, reply, revision, 200, { id: profile.id, deleted: true });
      },
    );

    // --- Our own resources (v 1.0) -----------------------------------------
    const ownQuery = writeQuery(OWN_VERSIONS);
    const ownTag = (name: string) => ({ tags: [`admin: ${name}`] });
    const own = async (request: Req) => {
      const ctx = await admin(request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      return ctx;
    };

    const keyOut = {
      type: 'object',
      properties: {
        appKey: { type: 'string' },
        name: { type: 'string' },
        type: { type: 'string', enum: ['oauth1', 'oauth2'] },
        active: { type: 'boolean' },
        createdAt: { type: 'string' },
        revokedAt: { type: ['string', 'null'] },
        bots: { type: 'array', items: { type: 'string' } },
      },
    } as const;
    route('GET', '/app-keys', { ...ownTag('app keys'), summary: 'List API keys (never their secrets)', querystring: ownQuery, response: { 200: { type: 'array', items: keyOut }, ...READ_ERRORS } }, async (request) => {
      const ctx = await own(request);
      return (await listApiKeys(ctx, request.params.accountId)).map(({ key, bots }) => ({
        appKey: key.appKey,
        name: key.name,
        type: key.type,
        active: key.revokedAt === null,
        createdAt: isoTime(key.createdAt),
        revokedAt: isoTime(key.revokedAt),
        bots,
      }));
    });
    route(
      'POST',
      '/app-keys',
      {
        ...ownTag('app keys'),
        summary: 'Issue an API key: the answer holds its secrets, the only time they are shown',
        querystring: ownQuery,
        body: { type: 'object', additionalProperties: false, properties: { name: str(256), type: { type: 'string', enum: ['oauth1', 'oauth2'], description: 'Default oauth1' } } },
        response: {
          201: {
            type: 'object',
            properties: { appKey: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' }, secret: { type: 'string' }, accessToken: { type: 'string' }, accessTokenSecret: { type: 'string' }, createdAt: { type: 'string' } },
          },
          ...WRITE_ERRORS,
        },
      },
      async (request, reply) => {
        const ctx = await own(request);
        const body = (request.body ?? {}) as { name?: string; type?: ApiKeyType };
        const { key, issued } = await issueApiKey(ctx, request.params.accountId, body.name, body.type);
        return reply.code(201).send({ name: key.name, type: key.type, ...issued, createdAt: isoTime(key.createdAt) });
      },
    );
    route(
      'DELETE',
      '/app-keys/:appKey',
      {
        ...ownTag('app keys'),
        summary: 'Revoke an API key; the sessions of the bots that logged in with it end',
        params: { type: 'object', required: ['accountId', 'appKey'], properties: { ...accountParamsSchema.properties, appKey: { type: 'string', maxLength: 128 } } },
        querystring: ownQuery,
        response: { 200: { type: 'object', properties: { appKey: { type: 'string' }, sessionsEnded: { type: 'integer' } } }, ...WRITE_ERRORS },
      },
      async (request) => {
        const ctx = await own(request);
        const appKey = request.params.appKey!;
        return { appKey, sessionsEnded: await revokeKey(ctx, request.params.accountId, appKey) };
      },
    );

    const uriOut = { type: 'object', properties: { service: { type: 'string' }, baseURI: { type: 'string' } } } as const;
    const serviceParams = { type: 'object', required: ['accountId', 'service'], properties: { ...accountParamsSchema.properties, service: { type: 'string', maxLength: 128 } } } as const;
    route('GET', '/base-uris', { ...ownTag('base URIs'), summary: "The account's service base URIs, as the Domain API serves them", querystring: ownQuery, response: { 200: { type: 'array', items: uriOut }, ...READ_ERRORS } }, async (request) => {
      const ctx = await own(request);
      await requireAccount(ctx, request.params.accountId);
      return serviceBaseURIs(stores, request.params.accountId, deps.publicHost);
    });
    route(
      'PUT',
      '/base-uris/:service',
      {
        ...ownTag('base URIs'),
        summary: 'Set where a service lives (host[:port])',
        params: serviceParams,
        querystring: ownQuery,
        body: { type: 'object', required: ['baseURI'], additionalProperties: false, properties: { baseURI: str(300, 'host[:port]') } },
        response: { 200: { type: 'object', properties: { service: { type: 'string' }, baseURI: { type: 'string' }, previous: { type: ['string', 'null'] } } }, ...WRITE_ERRORS },
      },
      async (request) => {
        const ctx = await own(request);
        const { baseURI } = request.body as { baseURI: string };
        const previous = await setServiceBaseURI(ctx, request.params.accountId, request.params.service!, baseURI);
        return { service: request.params.service, baseURI, previous };
      },
    );
    route(
      'DELETE',
      '/base-uris/:service',
      {
        ...ownTag('base URIs'),
        summary: `Delete a service's base URI (agentVep cannot be deleted)`,
        params: serviceParams,
        querystring: ownQuery,
        response: { 200: { type: 'object', properties: { service: { type: 'string' }, deleted: { type: 'boolean' } } }, ...WRITE_ERRORS },
      },
      async (request) => {
        const ctx = await own(request);
        await deleteServiceBaseURI(ctx, request.params.accountId, request.params.service!);
        return { service: request.params.service, deleted: true };
      },
    );

    const sessionOut = {
      type: 'object',
      properties: {
        userId: { type: 'string' },
        loginName: { type: 'string' },
        appKey: { type: ['string', 'null'] },
        createdAt: { type: 'string' },
        expiresAt: { type: 'string' },
        hardExpiresAt: { type: ['string', 'null'] },
        clientIp: { type: ['string', 'null'] },
        userAgent: { type: ['string', 'null'] },
      },
    } as const;
    const sessionsQuery = {
      type: 'object',
      additionalProperties: false,
      properties: { v: ownQuery.properties.v, user: str(256, 'A login name'), all: { type: 'string', enum: ['true'], description: 'DELETE: every session of the account' } },
    } as const;
    route('GET', '/sessions', { ...ownTag('sessions'), summary: 'Live sessions of the account or of one user (never their tokens)', querystring: sessionsQuery, response: { 200: { type: 'array', items: sessionOut }, ...READ_ERRORS } }, async (request) => {
      const ctx = await own(request);
      return (await listSessions(ctx, request.params.accountId, request.query.user)).map(sessionView);
    });
    route(
      'DELETE',
      '/sessions',
      { ...ownTag('sessions'), summary: 'End the sessions of one user (?user=) or of everyone (?all=true)', querystring: sessionsQuery, response: { 200: { type: 'object', properties: { sessionsEnded: { type: 'integer' } } }, ...WRITE_ERRORS } },
      async (request) => {
        const ctx = await own(request);
        const { user, all } = request.query;
        if ((user === undefined) === (all === undefined)) throw errors.badRequest('Bad request: give exactly one of user=LOGIN and all=true');
        const { sessionsEnded } = await revokeSessions(ctx, request.params.accountId, user !== undefined ? { loginName: user } : { all: true });
        return { sessionsEnded };
      },
    );

    route(
      'GET',
      '/events',
      {
        ...ownTag('events'),
        summary: 'Audit events, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            v: ownQuery.properties.v,
            user: str(256, 'Events of this login name (as recorded)'),
            since: { type: 'string', format: 'date-time', description: 'ISO 8601' },
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,4}$|^100000$', description: '1 to 100000 (default 100)' },
          },
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                time: { type: 'string' },
                type: { type: 'string' },
                userId: { type: ['string', 'null'] },
                loginName: { type: ['string', 'null'] },
                clientIp: { type: ['string', 'null'] },
                userAgent: { type: ['string', 'null'] },
                detail: { type: 'object', additionalProperties: true },
              },
            },
          },
          ...READ_ERRORS,
        },
      },
      async (request) => {
        const ctx = await own(request);
        const { user, since, limit } = request.query;
        const events = await listEvents(ctx, request.params.accountId, { loginName: user, since: since === undefined ? undefined : Date.parse(since), limit: limit === undefined ? 100 : Number(limit) });
        return events.map((e) => ({ time: isoTime(e.time), type: e.type, userId: e.userId, loginName: e.loginName, clientIp: e.clientIp, userAgent: e.userAgent, detail: e.detail }));
      },
    );

    const settingsProperties = {
      name: { type: 'string', minLength: 1, maxLength: 256 },
      timeZone: { type: 'string', maxLength: 64, description: 'IANA time zone' },
      ...SETTINGS_JSON_SCHEMA_PROPERTIES,
      sso: {
        type: ['object', 'null'],
        description: 'The SAML identity provider (docs/SSO.md); null or left out: none',
        additionalProperties: false,
        required: ['idpIssuer', 'idpCerts'],
        properties: {
          idpIssuer: { type: 'string', maxLength: 1024 },
          idpCerts: { type: 'array', items: { type: 'string', maxLength: 16384 }, minItems: 1, maxItems: 5, description: 'PEM certificates' },
          audience: { type: 'string', maxLength: 1024 },
          loginNameAttribute: { type: 'string', maxLength: 256 },
          enforce: { type: 'boolean' },
        },
      },
    };
    const settingsOut = { type: 'object', properties: settingsProperties } as const;
    const settingsView = async (accountId: string) => {
      const account = await stores.accounts.getAccount(accountId);
      return { name: account!.name, timeZone: account!.timeZone, ...accountSettings(account!) };
    };
    route('GET', '/settings', { ...ownTag('settings'), summary: "The account's name, time zone and policy", querystring: ownQuery, response: { 200: settingsOut, ...READ_ERRORS } }, async (request) => {
      const ctx = await own(request);
      await requireAccount(ctx, request.params.accountId);
      return settingsView(request.params.accountId);
    });
    route(
      'PUT',
      '/settings',
      {
        ...ownTag('settings'),
        summary: "Replace the account's settings: policy fields left out go back to their defaults",
        querystring: ownQuery,
        body: { type: 'object', required: ['name', 'timeZone'], additionalProperties: false, properties: settingsProperties },
        response: { 200: settingsOut, ...WRITE_ERRORS },
      },
      async (request) => {
        const ctx = await own(request);
        const { name, timeZone, ...policy } = request.body as Record<string, unknown> & { name: string; timeZone: string };
        const defaults = { ...accountSettings({ settings: {} }) };
        await changeAccount(ctx, request.params.accountId, { name, timeZone, settings: { ...defaults, sso: null, ...policy } });
        return settingsView(request.params.accountId);
      },
    );
  };
}

export const ADMIN_TAGS = [
  { name: 'admin: users', description: 'Users (the original platform\'s shapes, v 4.0)' },
  { name: 'admin: agent groups', description: 'Agent groups (v 2.0)' },
  { name: 'admin: profiles', description: 'Profiles: they decide privileges at login (v 4.0)' },
  { name: 'admin: app keys', description: 'API keys of bots (v 1.0)' },
  { name: 'admin: base URIs', description: 'What the Domain API serves (v 1.0)' },
  { name: 'admin: sessions', description: 'Live sessions (v 1.0)' },
  { name: 'admin: events', description: 'Audit events (v 1.0)' },
  { name: 'admin: settings', description: 'Account settings (v 1.0)' },
];

/**
 * The interactive API reference (Swagger UI) at /docs, from the OpenAPI
 * document the routes' schemas make. Its page needs scripts and styles, so it
 * carries its own Content-Security-Policy instead of the API's `default-src
 * 'none'` (without upgrade-insecure-requests, which would break plain-HTTP
 * installations).
 */
export async function apiReference(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header: string) => header.replace(/(?<!\s)\s*upgrade-insecure-requests;/, ''),
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
}
