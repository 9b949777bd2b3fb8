/**
 * Agent groups: create (one or several, all or nothing), replace, delete
 * (soft). The stores enforce, inside their transactions, that nothing in use
 * is deleted and that every reference resolves (store/directoryPlans.ts).
 */
import { requireAccount } from '../accounts/service.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { recordAdminEvent, type AdminContext } from '../events/actor.js';
import { DESCRIPTION_MAX_LENGTH, MAIN_GROUP_ID, directoryItemName, type AgentGroup, type NewAgentGroup, type WriteOptions } from './model.js';

export interface AgentGroupInput {
  name: string;
  description?: string;
  parentGroupId?: number;
  isEnabled?: boolean;
}

function groupFrom(input: AgentGroupInput, now: number, id?: number): NewAgentGroup {
  const description = input.description ?? '';
  if (description.length > DESCRIPTION_MAX_LENGTH) throw new InvalidInputError(`description must be at most ${DESCRIPTION_MAX_LENGTH} characters`);
  return {
    name: directoryItemName(input.name, 'agent group'),
    description,
    parentGroupId: id === MAIN_GROUP_ID ? null : (input.parentGroupId ?? MAIN_GROUP_ID),
    isEnabled: id === MAIN_GROUP_ID ? true : (input.isEnabled ?? true),
    deleted: false,
    updatedAt: now,
  };
}

export async function requireAgentGroup(ctx: Pick<AdminContext, 'stores'>, accountId: string, id: number, options: { includeDeleted?: boolean } = {}): Promise<AgentGroup> {
  const group = (await ctx.stores.directory.listAgentGroups(accountId, { includeDeleted: true })).find((g) => g.id === id);
  if (!group || (group.deleted && !options.includeDeleted)) throw new NotFoundError(`agent group ${id} does not exist in account ${accountId}`);
  return group;
}

export async function createAgentGroups(ctx: AdminContext, accountId: string, inputs: AgentGroupInput[], options: WriteOptions = {}): Promise<{ groups: AgentGroup[]; revision: number }> {
  await requireAccount(ctx, accountId);
  if (inputs.length === 0) throw new InvalidInputError('no agent groups to create');
  const now = ctx.clock.now();
  const created = inputs.map((input) => groupFrom(input, now));
  const { revision, ids } = await ctx.stores.directory.writeAgentGroups(accountId, { create: created, expectedRevision: options.expectedRevision });
  const groups = created.map((g, i) => ({ ...g, id: ids[i]! }));
  for (const g of groups) await recordAdminEvent(ctx, accountId, 'agent_group_create', { agentGroupId: g.id, name: g.name });
  return { groups, revision };
}

export async function replaceAgentGroup(ctx: AdminContext, accountId: string, id: number, input: AgentGroupInput, options: WriteOptions = {}): Promise<{ group: AgentGroup; revision: number }> {
  await requireAccount(ctx, accountId);
  await requireAgentGroup(ctx, accountId, id);
  const group = { ...groupFrom(input, ctx.clock.now(), id), id };
  const { revision } = await ctx.stores.directory.writeAgentGroups(accountId, { replace: [group], expectedRevision: options.expectedRevision });
  await recordAdminEvent(ctx, accountId, 'agent_group_update', { agentGroupId: id, name: group.name });
  return { group, revision };
}

export async function deleteAgentGroup(ctx: AdminContext, accountId: string, id: number, options: WriteOptions = {}): Promise<{ group: AgentGroup; revision: number }> {
  await requireAccount(ctx, accountId);
  const group = { ...(await requireAgentGroup(ctx, accountId, id)), deleted: true, updatedAt: ctx.clock.now() };
  const { revision } = await ctx.stores.directory.writeAgentGroups(accountId, { replace: [group], expectedRevision: options.expectedRevision });
  await recordAdminEvent(ctx, accountId, 'agent_group_delete', { agentGroupId: id, name: group.name });
  return { group, revision };
}

