/** Agent groups: `configuration/le-users/agentGroups` (the original platform's shapes). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { AgentGroup } from '../../directory/model.js';
import { createAgentGroups, deleteAgentGroup, replaceAgentGroup, requireAgentGroup, type AgentGroupInput } from '../../directory/groups.js';
import { requireAccount } from '../../accounts/service.js';
import { adminContext, readWithRevision, written, type AdminRouteDeps } from './deps.js';
import { checkVersion, expectedRevision, formatDate, project, selection } from './protocol.js';
import { BASE, GROUPS_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, deletedOut, idParams, ifMatch, nullableInteger, out, readOnly, readQueryWithDeleted, str, writeQuery } from './shapes.js';

const GROUP_FIELDS = ['id', 'name', 'description', 'parentGroupId', 'isEnabled', 'deleted', 'dateUpdated'] as const;
const groupIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    description: Type.Optional(str(1024)),
    parentGroupId: Type.Optional(Type.Integer({ description: 'Default -1, the main group' })),
    isEnabled: Type.Optional(Type.Boolean()),
    id: readOnly, deleted: readOnly, dateUpdated: readOnly,
  },
  { additionalProperties: false },
);
const groupOut = out({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  parentGroupId: nullableInteger(),
  isEnabled: Type.Boolean(),
  deleted: Type.Boolean(),
  dateUpdated: Type.String(),
});
const EXAMPLE_GROUP = { name: 'Sales', description: 'Inbound sales', parentGroupId: -1, isEnabled: true };

const groupView = (g: AgentGroup) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  parentGroupId: g.parentGroupId,
  isEnabled: g.isEnabled,
  deleted: g.deleted,
  dateUpdated: formatDate(g.updatedAt),
});

const groupInput = (b: Static<typeof groupIn>): AgentGroupInput => ({ name: b.name, description: b.description, parentGroupId: b.parentGroupId, isEnabled: b.isEnabled });

export function agentGroupsRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const { stores } = deps;
  const tags = ['admin: agent groups'];
  const url = `${BASE}/le-users/agentGroups`;
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: 'List agent groups',
        description: "The account's agent groups, the main group (-1) included. Deleted groups only with include_deleted=true.",
        params: accountParams,
        querystring: readQueryWithDeleted(GROUPS_VERSIONS),
        response: { 200: Type.Array(groupOut), ...READ_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
      const selected = selection(request.query.select, GROUP_FIELDS);
      await requireAccount(ctx, request.params.accountId);
      return readWithRevision(stores, request.params.accountId, request, reply, 'agentGroups', async () =>
        (await stores.directory.listAgentGroups(request.params.accountId, { includeDeleted: request.query.include_deleted === 'true' })).map((g) => project(groupView(g), selected)),
      );
    });

    app.post(url, {
      schema: {
        tags,
        summary: 'Create an agent group (object) or several (array, all or nothing)',
        description: 'A name is unique among its siblings (409 otherwise); the parent must exist.',
        params: accountParams,
        querystring: writeQuery(GROUPS_VERSIONS),
        headers: ifMatch,
        body: Type.Union([groupIn, Type.Array(groupIn, { minItems: 1, maxItems: 1000 })], { examples: [EXAMPLE_GROUP] }),
        response: { 201: Type.Union([groupOut, Type.Array(groupOut)]), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
      const many = Array.isArray(request.body);
      const inputs = (Array.isArray(request.body) ? request.body : [request.body]).map(groupInput);
      const { groups, revision } = await createAgentGroups(ctx, request.params.accountId, inputs, { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 201, many ? groups.map(groupView) : groupView(groups[0]!));
    });

    app.get(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Read an agent group',
        description: 'One agent group by id; 404 when unknown, or deleted unless include_deleted=true.',
        params: idParams('integer'),
        querystring: readQueryWithDeleted(GROUPS_VERSIONS),
        response: { 200: groupOut, ...READ_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
      const selected = selection(request.query.select, GROUP_FIELDS);
      const group = await requireAgentGroup(ctx, request.params.accountId, Number(request.params.id), { includeDeleted: request.query.include_deleted === 'true' });
      return readWithRevision(stores, request.params.accountId, request, reply, 'agentGroups', async () => project(groupView(group), selected));
    });

    app.put(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Replace an agent group',
        description: 'The whole group is replaced: optional fields left out go back to their defaults. A group cannot become its own ancestor.',
        params: idParams('integer'),
        querystring: writeQuery(GROUPS_VERSIONS),
        headers: ifMatch,
        body: { ...groupIn, examples: [{ ...EXAMPLE_GROUP, description: 'Inbound and outbound sales' }] },
        response: { 200: groupOut, ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
      const { group, revision } = await replaceAgentGroup(ctx, request.params.accountId, Number(request.params.id), groupInput(request.body), { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 200, groupView(group));
    });

    app.delete(`${url}/:id`, {
      schema: {
        tags,
        summary: 'Delete an agent group (soft); 409 while it has members, managers or child groups',
        description: 'The group is kept with deleted: true. The main group (-1) cannot be deleted.',
        params: idParams('integer'),
        querystring: writeQuery(GROUPS_VERSIONS),
        headers: ifMatch,
        response: { 200: deletedOut('integer'), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, GROUPS_VERSIONS, 'agentGroups');
      const { group, revision } = await deleteAgentGroup(ctx, request.params.accountId, Number(request.params.id), { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 200, { id: group.id, deleted: true });
    });
  };
}
