/**
 * Profiles: create (one or several, all or nothing), replace, delete. A
 * profile gives its holders a role type and permissions at login; a change of
 * either ends the holders' sessions, so their rights follow it at once.
 * Built-in profiles cannot be deleted; the stores check, inside their
 * transactions, that no profile in use is deleted (store/directoryPlans.ts).
 */
import { requireAccount } from '../accounts/service.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { recordAdminEvent, type AdminContext } from '../events/actor.js';
import { ADMINISTRATOR_PROFILE_ID, AGENT_PROFILE_ID, DESCRIPTION_MAX_LENGTH, directoryItemName, type NewProfile, type Profile, type RoleTypeId, type WriteOptions } from './model.js';

export interface ProfileInput {
  name: string;
  description?: string;
  roleTypeId: number;
  permissions?: number[];
}

function profileFrom(input: ProfileInput, now: number): NewProfile {
  if (![1, 2, 3, 4].includes(input.roleTypeId)) throw new InvalidInputError('roleTypeId must be 1 (Administrator), 2 (Agent), 3 (Agent Manager) or 4 (Campaign Manager)');
  const permissions = input.permissions ?? [];
  if (!permissions.every((p) => Number.isSafeInteger(p))) throw new InvalidInputError('permissions must be integers');
  const description = input.description ?? '';
  if (description.length > DESCRIPTION_MAX_LENGTH) throw new InvalidInputError(`description must be at most ${DESCRIPTION_MAX_LENGTH} characters`);
  return {
    name: directoryItemName(input.name, 'profile'),
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
  const rightsChanged = profile.roleTypeId !== before.roleTypeId || profile.permissions.join() !== before.permissions.join();
  const sessionsEnded = rightsChanged ? await endHoldersSessions(ctx, accountId, id) : 0;
  await recordAdminEvent(ctx, accountId, 'profile_update', { profileId: id, name: profile.name, roleTypeId: profile.roleTypeId, permissions: profile.permissions, sessionsEnded });
  return { profile, revision };
}

/** Ends the sessions of every user holding the profile: they were made with its old rights. Returns how many ended. */
async function endHoldersSessions(ctx: AdminContext, accountId: string, profileId: number): Promise<number> {
  const holders = (await ctx.stores.users.listUsers(accountId)).filter((u) => u.profileIds.includes(profileId));
  let ended = 0;
  for (const u of holders) ended += await ctx.stores.sessions.deleteUserSessions(accountId, u.userId);
  return ended;
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
