/** Profiles: `configuration/le-users/profiles`; they decide privileges and the administrator's rights. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { createProfiles, deleteProfile, replaceProfile, requireProfile, type ProfileInput } from '../../directory/profiles.js';
import type { Profile } from '../../directory/model.js';
import { requireAccount } from '../../accounts/service.js';
import { adminContext, readWithRevision, written, type AdminRouteDeps } from './deps.js';
import { checkVersion, expectedRevision, formatDate, project, selection } from './protocol.js';
import { BASE, PROFILES_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, deletedOut, idParams, ifMatch, intArray, out, readOnly, readQuery, str, writeQuery } from './shapes.js';

const PROFILE_FIELDS = ['id', 'name', 'description', 'roleTypeId', 'permissions', 'isAssignedToLPA', 'numOfAssignedUsers', 'dateUpdated'] as const;
const profileIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    description: Type.Optional(str(1024)),
    roleTypeId: Type.Unsafe<1 | 2 | 3 | 4>({ type: 'integer', enum: [1, 2, 3, 4], description: '1 Administrator, 2 Agent, 3 Agent Manager, 4 Campaign Manager' }),
    permissions: Type.Optional(intArray(10000)),
    id: readOnly, isAssignedToLPA: readOnly, numOfAssignedUsers: readOnly, dateUpdated: readOnly,
  },
  { additionalProperties: false },
);
const profileOut = out({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  roleTypeId: Type.Integer(),
  permissions: intArray(10000),
  isAssignedToLPA: Type.Boolean(),
  numOfAssignedUsers: Type.Integer(),
  dateUpdated: Type.String(),
});
const EXAMPLE_PROFILE = { name: 'Sales agent', description: 'Agents of the sales groups', roleTypeId: 2, permissions: [100, 101] };

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

const profileInput = (b: Static<typeof profileIn>): ProfileInput => ({ name: b.name, description: b.description, roleTypeId: b.roleTypeId, permissions: b.permissions });

export function profilesRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const { stores } = deps;
  const tags = ['admin: profiles'];
  const url = `${BASE}/le-users/profiles`;
  const assignedCounts = async (accountId: string) => {
    const counts = new Map<number, number>();
    for (const u of await stores.users.listUsers(accountId)) for (const id of u.profileIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  };
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: 'List profiles',
        description: "The account's profiles, the built-in one per role type included, with how many users each is assigned to.",
        params: accountParams,
        querystring: readQuery(PROFILES_VERSIONS),
        response: { 200: Type.Array(profileOut), ...READ_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
      const selected = selection(request.query.select, PROFILE_FIELDS);
      await requireAccount(ctx, request.params.accountId);
      return readWithRevision(stores, request.params.accountId, request, reply, 'profiles', async () => {
        const counts = await assignedCounts(request.params.accountId);
        return (await stores.directory.listProfiles(request.params.accountId)).map((p) => project(profileView(p, counts.get(p.id) ?? 0), selected));
      });
    });

    app.post(url, {
      schema: {
        tags,
        summary: 'Create a profile (object) or several (array, all or nothing)',
        description: 'Names are unique in the account (409 otherwise). Role type 1 makes the users who have the profile administrators.',
        params: accountParams,
        querystring: writeQuery(PROFILES_VERSIONS),
        headers: ifMatch,
        body: Type.Union([profileIn, Type.Array(profileIn, { minItems: 1, maxItems: 1000 })], { examples: [EXAMPLE_PROFILE] }),
        response: { 201: Type.Union([profileOut, Type.Array(profileOut)]), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
      const many = Array.isArray(request.body);
      const inputs = (Array.isArray(request.body) ? request.body : [request.body]).map(profileInput);
      const { profiles, revision } = await createProfiles(ctx, request.params.accountId, inputs, { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 201, many ? profiles.map((p) => profileView(p, 0)) : profileView(profiles[0]!, 0));
    });

    app.get(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Read a profile',
        description: 'One profile by id; 404 when unknown.',
        params: idParams('integer'),
        querystring: readQuery(PROFILES_VERSIONS),
        response: { 200: profileOut, ...READ_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
      const selected = selection(request.query.select, PROFILE_FIELDS);
      const profile = await requireProfile(ctx, request.params.accountId, Number(request.params.id));
      return readWithRevision(stores, request.params.accountId, request, reply, 'profiles', async () => project(profileView(profile, (await assignedCounts(request.params.accountId)).get(profile.id) ?? 0), selected));
    });

    app.put(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Replace a profile',
        description: 'The whole profile is replaced. The new permissions and role type apply to its users at their next login; administrator rights at their next request.',
        params: idParams('integer'),
        querystring: writeQuery(PROFILES_VERSIONS),
        headers: ifMatch,
        body: { ...profileIn, examples: [{ ...EXAMPLE_PROFILE, permissions: [100, 101, 102] }] },
        response: { 200: profileOut, ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
      const { profile, revision } = await replaceProfile(ctx, request.params.accountId, Number(request.params.id), profileInput(request.body), { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 200, profileView(profile, (await assignedCounts(request.params.accountId)).get(profile.id) ?? 0));
    });

    app.delete(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Delete a profile; 409 while it is assigned to users, or built in',
        description: 'Profiles are deleted for good; the built-in ones and those assigned to users cannot be (409).',
        params: idParams('integer'),
        querystring: writeQuery(PROFILES_VERSIONS),
        headers: ifMatch,
        response: { 200: deletedOut('integer'), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, PROFILES_VERSIONS, 'profiles');
      const { profile, revision } = await deleteProfile(ctx, request.params.accountId, Number(request.params.id), { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 200, { id: profile.id, deleted: true });
    });
  };
}
