/**
 * Agent groups and profiles: create (one or several, all or nothing),
 * replace, delete. Deleting a group is soft; deleting a profile is not. The
 * stores enforce, inside their transactions, that nothing in use is deleted
 * and that every reference resolves (directoryPlans.ts).
 */
import type { AgentGroup } from '../accounts/model.js';
import { MAIN_GROUP_ID } from '../accounts/model.js';
import { ADMINISTRATOR_PROFILE_ID, AGENT_PROFILE_ID, type NewAgentGroup, type NewProfile, type Profile, type RoleTypeId } from './model.js';
import { InvalidInputError, NotFoundError, recordAdminEvent, type AdminContext } from './context.js';
import { requireAccount, type WriteOptions } from './users.js';

export interface AgentGroupInput {
  name: string;
  description?: string;
  parentGroupId?: number;
  isEnabled?: boolean;
}

export interface ProfileInput {
  name: string;
  description?: string;
  roleTypeId: number;
  permissions?: number[];
}

const NAME_MAX = 256;
const DESCRIPTION_MAX = 1024;

function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > NAME_MAX) throw new InvalidInputError(`${what} name must be 1 to ${NAME_MAX} characters`);
  return name;
}

function groupFrom(input: AgentGroupInput, now: number, id?: number): NewAgentGroup {
  const description = input.description ?? '';
  if (description.length > DESCRIPTION_MAX) throw new InvalidInputError(`description must be at most ${DESCRIPTION_MAX} characters`);
  return {
    name: checkName(input.name, 'agent group'),
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

function profileFrom(input: ProfileInput, now: number): NewProfile {
  if (![1, 2, 3, 4].includes(input.roleTypeId)) throw new InvalidInputError('roleTypeId must be 1 (Administrator), 2 (Agent), 3 (Agent Manager) or 4 (Campaign Manager)');
  const permissions = input.permissions ?? [];
  if (!permissions.every((p) => Number.isSafeInteger(p))) throw new InvalidInputError('permissions must be integers');
  const description = input.description ?? '';
  if (description.length > DESCRIPTION_MAX) throw new InvalidInputError(`description must be at most ${DESCRIPTION_MAX} characters`);
  return {
    name: checkName(input.name, 'profile'),
    description,
    roleTypeId: input.roleTypeId as RoleTypeId,
    permissions: [...new Set(permissions)].sort((a, b) => a - b),
    builtIn: false,
    updatedAt: now,
  };
}

export async function requireProfile(ctx: Pick<AdminContext, 'stores'>, accountId: string, id: number): Promise<Profile> {
  const profile = (await ctx.stores.directory.listProfiles(accountId)).find((p) => p.id === id);
  if (!profile) throw new NotFoundError(`profile ${id} does not exist in account ${accountId}`);
  return profile;
}

export async function createProfiles(ctx: AdminContext, accountId: string, inputs: ProfileInput[], options: WriteOptions = {}): Promise<{ profiles: Profile[]; revision: number }> {
  await requireAccount(ctx, accountId);
  if (inputs.length === 0) throw new InvalidInputError('no profiles to create');
  const now = ctx.clock.now();
  const created = inputs.map((input) => profileFrom(input, now));
  const { revision, ids } = await ctx.stores.directory.writeProfiles(accountId, { create: created, expectedRevision: options.expectedRevision });
  const profiles = created.map((p, i) => ({ ...p, id: ids[i]! }));
  for (const p of profiles) await recordAdminEvent(ctx, accountId, 'profile_create', { profileId: p.id, name: p.name, roleTypeId: p.roleTypeId, permissions: p.permissions });
  return { profiles, revision };
}

export async function replaceProfile(ctx: AdminContext, accountId: string, id: number, input: ProfileInput, options: WriteOptions = {}): Promise<{ profile: Profile; revision: number }> {
  await requireAccount(ctx, accountId);
  const before = await requireProfile(ctx, accountId, id);
  const profile = { ...profileFrom(input, ctx.clock.now()), id, builtIn: before.builtIn };
  const { revision } = await ctx.stores.directory.writeProfiles(accountId, { replace: [profile], expectedRevision: options.expectedRevision });
  await recordAdminEvent(ctx, accountId, 'profile_update', { profileId: id, name: profile.name, roleTypeId: profile.roleTypeId, permissions: profile.permissions });
  return { profile, revision };
}

export async function deleteProfile(ctx: AdminContext, accountId: string, id: number, options: WriteOptions = {}): Promise<{ profile: Profile; revision: number }> {
  await requireAccount(ctx, accountId);
  const profile = await requireProfile(ctx, accountId, id);
  const { revision } = await ctx.stores.directory.writeProfiles(accountId, { delete: [id], expectedRevision: options.expectedRevision });
  await recordAdminEvent(ctx, accountId, 'profile_delete', { profileId: id, name: profile.name });
  return { profile, revision };
}

/**
 * The profiles that give what the CLI's `--admin` and `--privileges` ask:
 * the built-in Administrator or Agent profile, plus a profile carrying
 * exactly those privileges (found, or made as "Privileges [..]").
 */
export async function profilesForPrivileges(ctx: AdminContext, accountId: string, isAdmin: boolean, privileges: number[]): Promise<number[]> {
  const base = isAdmin ? ADMINISTRATOR_PROFILE_ID : AGENT_PROFILE_ID;
  const wanted = [...new Set(privileges)].sort((a, b) => a - b);
  if (wanted.length === 0) return [base];
  if (!wanted.every((p) => Number.isSafeInteger(p))) throw new InvalidInputError('privileges must be integers');
  const same = (await ctx.stores.directory.listProfiles(accountId)).find(
    (p) => !p.builtIn && p.roleTypeId === AGENT_PROFILE_ID && p.permissions.length === wanted.length && p.permissions.every((v, i) => v === wanted[i]),
  );
  if (same) return [base, same.id];
  const { profiles } = await createProfiles(ctx, accountId, [
    { name: `Privileges ${JSON.stringify(wanted)}`, description: 'Privileges given on the command line', roleTypeId: AGENT_PROFILE_ID, permissions: wanted },
  ]);
  return [base, profiles[0]!.id];
}

/** What a user's profiles give at login: the union of their permissions, sorted, and whether one is an administrator's. */
export function privilegesOf(profileIds: number[], profiles: Profile[]): { privileges: number[]; isAdmin: boolean } {
  const mine = profiles.filter((p) => profileIds.includes(p.id));
  const privileges = [...new Set(mine.flatMap((p) => p.permissions))].sort((a, b) => a - b);
  return { privileges, isAdmin: mine.some((p) => p.roleTypeId === 1) };
}
