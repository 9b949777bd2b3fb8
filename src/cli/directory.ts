/** `group list | create | delete`, `profile list | create | delete`, `user delete`: the actions of the administration API's le-users resources. */
import { createAgentGroups, deleteAgentGroup } from '../directory/groups.js';
import { createProfiles, deleteProfile } from '../directory/profiles.js';
import { deleteUsers, requireUserByLoginName } from '../directory/users.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { UsageError, type CliOptions } from './context.js';
import { shortTime, table } from './format.js';
import { stringFlag } from './input.js';

function idArg(raw: string, what: string): number {
  if (!/^-?\d{1,9}$/.test(raw)) throw new UsageError(`${what} must be an integer, got "${raw}"`);
  return Number(raw);
}

function permissionsFlag(options: CliOptions): number[] {
  const raw = stringFlag(options, 'permissions') ?? '';
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    if (!/^-?\d{1,15}$/.test(item)) throw new UsageError(`--permissions must be comma-separated integers, e.g. 100,101; got "${raw}"`);
    return Number(item);
  });
}

const groupList: Command = {
  name: 'group list',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: "list the account's agent groups (not deleted)",
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const groups = await (await ctx.stores()).directory.listAgentGroups(account.accountId);
    ctx.output(groups, () => table(['ID', 'NAME', 'PARENT', 'ENABLED', 'UPDATED'], groups.map((g) => [g.id, g.name, g.parentGroupId, g.isEnabled ? 'yes' : 'no', shortTime(g.updatedAt)])));
  },
};

const groupCreate: Command = {
  name: 'group create',
  args: ['accountId', 'name'],
  flags: ['parent', 'description'],
  synopsis: '[--parent GROUP_ID (default -1)] [--description TEXT]',
  summary: 'create an agent group',
  async run(ctx, [accountId, name], options) {
    const parent = stringFlag(options, 'parent');
    const { groups } = await createAgentGroups(await ctx.admin(), accountId!, [
      { name: name!, description: stringFlag(options, 'description'), parentGroupId: parent === undefined ? undefined : idArg(parent, '--parent') },
    ]);
    ctx.output(groups[0], () => `created agent group ${groups[0]!.id} "${groups[0]!.name}" in account ${accountId}`);
  },
};

const groupDelete: Command = {
  name: 'group delete',
  args: ['accountId', 'groupId'],
  flags: [],
  synopsis: '',
  summary: 'delete an agent group (refused while it has members, managers or child groups)',
  async run(ctx, [accountId, groupId]) {
    const { group } = await deleteAgentGroup(await ctx.admin(), accountId!, idArg(groupId!, 'groupId'));
    ctx.output({ id: group.id, deleted: true }, () => `deleted agent group ${group.id} "${group.name}"`);
  },
};

const profileList: Command = {
  name: 'profile list',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: "list the account's profiles",
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const profiles = await (await ctx.stores()).directory.listProfiles(account.accountId);
    ctx.output(profiles, () => table(['ID', 'NAME', 'ROLE TYPE', 'PERMISSIONS', 'BUILT IN'], profiles.map((p) => [p.id, p.name, p.roleTypeId, p.permissions.join(','), p.builtIn ? 'yes' : 'no'])));
  },
};

const profileCreate: Command = {
  name: 'profile create',
  args: ['accountId', 'name'],
  flags: ['role-type', 'permissions', 'description'],
  synopsis: '--role-type 1|2|3|4 [--permissions 100,101] [--description TEXT]',
  summary: 'create a profile (role type 1 Administrator, 2 Agent, 3 Agent Manager, 4 Campaign Manager)',
  async run(ctx, [accountId, name], options) {
    const roleType = stringFlag(options, 'role-type');
    if (roleType === undefined) throw new UsageError('profile create needs --role-type 1|2|3|4');
    const { profiles } = await createProfiles(await ctx.admin(), accountId!, [
      { name: name!, roleTypeId: idArg(roleType, '--role-type'), permissions: permissionsFlag(options), description: stringFlag(options, 'description') },
    ]);
    ctx.output(profiles[0], () => `created profile ${profiles[0]!.id} "${profiles[0]!.name}" in account ${accountId}`);
  },
};

const profileDelete: Command = {
  name: 'profile delete',
  args: ['accountId', 'profileId'],
  flags: [],
  synopsis: '',
  summary: 'delete a profile (refused while assigned to users, or built in)',
  async run(ctx, [accountId, profileId]) {
    const { profile } = await deleteProfile(await ctx.admin(), accountId!, idArg(profileId!, 'profileId'));
    ctx.output({ id: profile.id, deleted: true }, () => `deleted profile ${profile.id} "${profile.name}"`);
  },
};

const userDelete: Command = {
  name: 'user delete',
  args: ['accountId', 'loginName'],
  flags: [],
  synopsis: '',
  summary: 'delete a user (kept for audit, login name freed); ends their sessions',
  async run(ctx, [accountId, loginName]) {
    const admin = await ctx.admin();
    const user = await requireUserByLoginName(admin, accountId!, loginName!);
    await deleteUsers(admin, accountId!, [user.userId]);
    ctx.output({ accountId, userId: user.userId, loginName: user.loginName, deleted: true }, () => `deleted ${user.loginName} (userId ${user.userId})`);
  },
};

export const directoryCommands: Command[] = [groupList, groupCreate, groupDelete, profileList, profileCreate, profileDelete, userDelete];
