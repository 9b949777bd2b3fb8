/** Users: `configuration/le-users/users` (the original platform's shapes). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { User } from '../../directory/model.js';
import { requireAccount } from '../../accounts/service.js';
import { createUsers, deleteUsers, lockouts, replaceUser, requireUserById, resetPassword, unlockUser, type UserInput } from '../../directory/users.js';
import { resetSecondFactors } from '../../factors/service.js';
import { adminContext, readWithRevision, written, type AdminRouteDeps } from './deps.js';
import { checkVersion, expectedRevision, formatDate, isoTime, parseDate, project, selection } from './protocol.js';
import {
  BASE,
  READ_ERRORS,
  USERS_VERSIONS,
  WRITE_ERRORS,
  accountParams,
  dateString,
  deletedOut,
  idParams,
  ifMatch,
  intArray,
  nullableString,
  out,
  readOnly,
  readQueryWithDeleted,
  str,
  writeQuery,
} from './shapes.js';

const USER_FIELDS = [
  'id', 'pid', 'deleted', 'loginName', 'fullName', 'nickname', 'email', 'employeeId', 'description', 'mobileNumber', 'isEnabled', 'maxChats',
  'skillIds', 'memberOf', 'managerOf', 'profileIds', 'isApiUser', 'allowedAppKeys', 'userTypeId', 'changePwdNextLogin', 'lastPwdChangeDate', 'dateUpdated',
  'lockedUntil', 'lastLoginAt',
] as const;

const assignmentIn = Type.Object({ agentGroupId: Type.Integer(), assignmentDate: Type.Optional(dateString) }, { additionalProperties: false });
const assignmentOut = out({ agentGroupId: Type.Integer(), assignmentDate: Type.String() });

const userIn = Type.Object(
  {
    loginName: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.Optional(Type.String({ maxLength: 4096, description: 'Write-only. Required for a new human; the password policy applies' })),
    fullName: Type.Optional(str(1024)),
    nickname: Type.Optional(str(1024)),
    email: Type.Optional(Type.String({ maxLength: 254, description: 'Empty, or an email address' })),
    employeeId: Type.Optional(str(1024)),
    description: Type.Optional(str(1024)),
    mobileNumber: Type.Optional(str(1024)),
    isEnabled: Type.Optional(Type.Boolean({ description: 'Default true; false ends the sessions' })),
    maxChats: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
    skillIds: Type.Optional(intArray(1000)),
    memberOf: Type.Optional(Type.Union([assignmentIn, Type.Null()], { description: 'Default the main group (-1)' })),
    managerOf: Type.Optional(Type.Array(assignmentIn, { maxItems: 1000 })),
    profileIds: Type.Optional(Type.Array(Type.Integer(), { maxItems: 100, minItems: 1, description: 'Default [2] (Agent)' })),
    isApiUser: Type.Optional(Type.Boolean({ description: 'A bot: logs in with an API key of allowedAppKeys' })),
    allowedAppKeys: Type.Optional(str(4096, 'Comma-separated app keys a bot may log in with')),
    changePwdNextLogin: Type.Optional(Type.Boolean()),
    id: readOnly, pid: readOnly, deleted: readOnly, userTypeId: readOnly, lastPwdChangeDate: readOnly, dateUpdated: readOnly, lockedUntil: readOnly, lastLoginAt: readOnly,
  },
  { additionalProperties: false },
);
type UserBody = Static<typeof userIn>;

const userOut = out({
  id: Type.String(),
  pid: Type.String(),
  deleted: Type.Boolean(),
  loginName: Type.String(),
  fullName: Type.String(),
  nickname: Type.String(),
  email: Type.String(),
  employeeId: Type.String(),
  description: Type.String(),
  mobileNumber: Type.String(),
  isEnabled: Type.Boolean(),
  maxChats: Type.Integer(),
  skillIds: intArray(1000),
  memberOf: Type.Union([assignmentOut, Type.Null()]),
  managerOf: Type.Array(assignmentOut),
  profileIds: intArray(100),
  isApiUser: Type.Boolean(),
  allowedAppKeys: Type.String(),
  userTypeId: Type.Integer({ description: '1 human, 2 bot' }),
  changePwdNextLogin: Type.Boolean(),
  lastPwdChangeDate: nullableString('YYYY-MM-DD HH:mm:ss, UTC'),
  dateUpdated: Type.String(),
  lockedUntil: nullableString('ISO 8601: when the brute-force lockout ends; null when not locked out'),
  lastLoginAt: nullableString('ISO 8601: the last successful login; null when never'),
});

const EXAMPLE_USER = {
  loginName: 'jane.doe',
  password: 'a long enough passphrase',
  fullName: 'Jane Doe',
  nickname: 'Jane',
  email: 'jane.doe@example.com',
  maxChats: 3,
  skillIds: [],
  memberOf: { agentGroupId: -1 },
  profileIds: [2],
};

/** A user as the API shows it; `lockedUntil` is when their lockout ends (null: not locked out). */
export function userView(u: User, lockedUntil: number | null = null) {
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
    lockedUntil: isoTime(lockedUntil),
    lastLoginAt: isoTime(u.lastLoginAt),
  };
}

function userInput(b: UserBody): UserInput {
  const assignment = (a: Static<typeof assignmentIn>) => ({ agentGroupId: a.agentGroupId, assignmentDate: a.assignmentDate === undefined ? undefined : parseDate(a.assignmentDate) });
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

export function usersRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const { stores } = deps;
  const tags = ['admin: users'];
  const url = `${BASE}/le-users/users`;
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: 'List users',
        description: "The account's users, ordered by login name. Deleted users only with include_deleted=true. Answers carry the users' revision (ac-revision, ETag); If-None-Match of the current revision answers 304.",
        params: accountParams,
        querystring: readQueryWithDeleted(USERS_VERSIONS),
        response: { 200: Type.Array(userOut), ...READ_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const selected = selection(request.query.select, USER_FIELDS);
      const account = await requireAccount(ctx, request.params.accountId);
      return readWithRevision(stores, account.accountId, request, reply, 'users', async () => {
        const users = await stores.users.listUsers(account.accountId, { includeDeleted: request.query.include_deleted === 'true' });
        const locked = selected === null || selected.includes('lockedUntil') ? await lockouts(ctx, account, users) : new Map<string, number>();
        return users.map((u) => project(userView(u, locked.get(u.userId) ?? null), selected));
      });
    });

    app.post(url, {
      schema: {
        tags,
        summary: 'Create a user (object) or several (array, all or nothing)',
        description: 'A human needs a password (the policy applies); a bot (isApiUser) logs in with an API key named in allowedAppKeys. Answers 201 with the created user (or array). If-Match makes the write conditional on the revision.',
        params: accountParams,
        querystring: writeQuery(USERS_VERSIONS),
        headers: ifMatch,
        body: Type.Union([userIn, Type.Array(userIn, { minItems: 1, maxItems: 1000 })], { examples: [EXAMPLE_USER] }),
        response: { 201: Type.Union([userOut, Type.Array(userOut)]), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const many = Array.isArray(request.body);
      const inputs = (Array.isArray(request.body) ? request.body : [request.body]).map(userInput);
      const { users, revision } = await createUsers(ctx, request.params.accountId, inputs, { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 201, many ? users.map((u) => userView(u)) : userView(users[0]!));
    });

    app.get(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Read a user',
        description: 'One user by id; 404 when unknown, or deleted unless include_deleted=true.',
        params: idParams('string'),
        querystring: readQueryWithDeleted(USERS_VERSIONS),
        response: { 200: userOut, ...READ_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const selected = selection(request.query.select, USER_FIELDS);
      const account = await requireAccount(ctx, request.params.accountId);
      const user = await requireUserById(ctx, account.accountId, request.params.id, { includeDeleted: request.query.include_deleted === 'true' });
      return readWithRevision(stores, account.accountId, request, reply, 'users', async () =>
        project(userView(user, (await lockouts(ctx, account, [user])).get(user.userId) ?? null), selected),
      );
    });

    app.put(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Replace a user (left-out fields take their defaults)',
        description: 'The whole user is replaced: optional fields left out go back to their defaults. Read-only fields are accepted and ignored, so a user read can be sent back. Disabling a user ends their sessions.',
        params: idParams('string'),
        querystring: writeQuery(USERS_VERSIONS),
        headers: ifMatch,
        body: { ...userIn, examples: [{ ...EXAMPLE_USER, password: undefined, fullName: 'Jane Q. Doe' }] },
        response: { 200: userOut, ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const { user, revision } = await replaceUser(ctx, request.params.accountId, request.params.id, userInput(request.body), { expectedRevision: expectedRevision(request) });
      const locked = await lockouts(ctx, await requireAccount(ctx, user.accountId), [user]);
      return written(request, reply, revision, 200, userView(user, locked.get(user.userId) ?? null));
    });

    app.delete(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Delete a user (soft): sessions end, the login name is free',
        description: 'The user is kept with deleted: true (shown with include_deleted=true); their sessions end, their logins are refused and the login name becomes free.',
        params: idParams('string'),
        querystring: writeQuery(USERS_VERSIONS),
        headers: ifMatch,
        response: { 200: deletedOut('string'), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const { revision } = await deleteUsers(ctx, request.params.accountId, [request.params.id], { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 200, { id: request.params.id, deleted: true });
    });

    app.delete(url, {
      schema: {
        tags,
        summary: 'Delete several users (all or nothing)',
        description: 'The body lists user ids; when one is unknown nothing is deleted.',
        params: accountParams,
        querystring: writeQuery(USERS_VERSIONS),
        headers: ifMatch,
        body: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1000, examples: [['4d5c7a7e-0000-4000-8000-000000000001']] }),
        response: { 200: Type.Array(deletedOut('string')), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const ids = request.body;
      const { revision } = await deleteUsers(ctx, request.params.accountId, ids, { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 200, ids.map((id) => ({ id, deleted: true })));
    });

    app.put(`${url}/:id/resetPassword`, {
      schema: {
        tags,
        summary: "Set a human's password (policy applies); the user's sessions end",
        description: "The account's password policy applies (400 with the password-rejected code otherwise). Every session of the user ends.",
        params: idParams('string'),
        querystring: writeQuery(USERS_VERSIONS),
        body: Type.Object({ newPassword: Type.String({ maxLength: 4096 }) }, { additionalProperties: false, examples: [{ newPassword: 'another long enough passphrase' }] }),
        response: { 200: out({ id: Type.String() }), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const user = await requireUserById(ctx, request.params.accountId, request.params.id);
      await resetPassword(ctx, user, request.body.newPassword);
      return written(request, reply, await stores.directory.revision(request.params.accountId, 'users'), 200, { id: user.userId });
    });

    app.put(`${url}/:id/unlock`, {
      schema: {
        tags,
        summary: "Lift a brute-force lockout: the user's failed logins are forgotten (ours; the original has no such route)",
        description: 'Answers whether the user was locked out and how many failed logins were forgotten.',
        params: idParams('string'),
        querystring: writeQuery(USERS_VERSIONS),
        response: { 200: out({ id: Type.String(), wasLocked: Type.Boolean(), failuresCleared: Type.Integer() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const user = await requireUserById(ctx, request.params.accountId, request.params.id);
      return { id: user.userId, ...(await unlockUser(ctx, user)) };
    });

    app.put(`${url}/:id/resetMfa`, {
      schema: {
        tags,
        summary: "Reset MFA: remove the user's second factors (authenticator app, recovery codes, passkeys)",
        description: "Where the account requires a second factor, the user enrols again at their next login. The user's sessions live on. Answers whether anything was removed.",
        params: idParams('string'),
        querystring: writeQuery(USERS_VERSIONS),
        response: { 200: out({ id: Type.String(), removed: Type.Boolean() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, USERS_VERSIONS, 'users');
      const user = await requireUserById(ctx, request.params.accountId, request.params.id);
      return { id: user.userId, ...(await resetSecondFactors(ctx, user)) };
    });
  };
}
