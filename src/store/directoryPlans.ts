/**
 * The rules of a directory write, checked inside both SQL backends' write
 * transactions against what the account holds at that moment, so two
 * administrators writing at once cannot together break them.
 */
import {
  BUILT_IN_PROFILES,
  groupInUse,
  profileNameKey,
  type AgentGroup,
  type DirectoryWrite,
  type NewAgentGroup,
  type NewProfile,
  type Profile,
} from '../directory/model.js';
import { DuplicateError, InUseError, UnknownReferenceError } from '../errors.js';

type UserRefs = Array<{ memberOf: { agentGroupId: number } | null; managerOf: Array<{ agentGroupId: number }>; profileIds: number[] }>;

/**
 * The groups a write leaves, checked against those of the account (both SQL
 * backends run this inside their transaction). `liveUsers` is read only when a
 * group is being deleted.
 */
export function planGroupWrite(
  existing: AgentGroup[],
  write: DirectoryWrite<NewAgentGroup, AgentGroup>,
  liveUsers: () => UserRefs,
): { groups: AgentGroup[]; ids: number[] } {
  const byId = new Map(existing.map((g) => [g.id, g]));
  let next = Math.max(0, ...existing.map((g) => g.id)) + 1;
  const ids: number[] = [];
  const written: AgentGroup[] = [];
  for (const g of write.create ?? []) {
    const group = { ...g, id: next++ };
    ids.push(group.id);
    byId.set(group.id, group);
    written.push(group);
  }
  for (const g of write.put ?? []) {
    byId.set(g.id, g);
    written.push(g);
  }
  for (const g of write.replace ?? []) {
    const before = byId.get(g.id);
    if (!before) throw new UnknownReferenceError(`agent group ${g.id} does not exist`);
    if (g.id === -1 && g.parentGroupId !== null) throw new UnknownReferenceError('the main group has no parent');
    byId.set(g.id, g);
    written.push(g);
  }
  const after = [...byId.values()];
  let users: UserRefs | null = null;
  for (const g of written) {
    if (g.deleted) {
      users ??= liveUsers();
      const reason = groupInUse(g.id, users, after);
      if (reason) throw new InUseError(reason);
      continue;
    }
    if (g.id !== -1) {
      const parent = g.parentGroupId === null ? undefined : byId.get(g.parentGroupId);
      if (!parent || parent.deleted) throw new UnknownReferenceError(`parent agent group ${g.parentGroupId} does not exist`);
      // Walking up from the group must reach the main group: no cycle.
      const seen = new Set<number>([g.id]);
      for (let p: AgentGroup | undefined = parent; p && p.id !== -1; p = p.parentGroupId === null ? undefined : byId.get(p.parentGroupId)) {
        if (seen.has(p.id)) throw new UnknownReferenceError(`agent group ${g.id} cannot be its own ancestor`);
        seen.add(p.id);
      }
    }
    const key = g.name.toLowerCase();
    if (after.some((o) => o !== g && !o.deleted && o.parentGroupId === g.parentGroupId && o.name.toLowerCase() === key)) {
      throw new DuplicateError(`agent group "${g.name}" under the same parent`);
    }
  }
  return { groups: written, ids };
}

/** The profiles a write leaves, checked against the account's (inside the backends' transactions). */
export function planProfileWrite(
  existing: Profile[],
  write: DirectoryWrite<NewProfile, Profile> & { delete?: number[] },
  liveUsers: () => UserRefs,
): { profiles: Profile[]; ids: number[]; deleted: number[] } {
  const byId = new Map(existing.map((p) => [p.id, p]));
  for (const id of write.delete ?? []) {
    const p = byId.get(id);
    if (!p) throw new UnknownReferenceError(`profile ${id} does not exist`);
    if (p.builtIn) throw new InUseError(`profile ${id} is built in and cannot be deleted`);
    const assigned = liveUsers().filter((u) => u.profileIds.includes(id)).length;
    if (assigned > 0) throw new InUseError(`profile ${id} is assigned to ${assigned} user${assigned === 1 ? '' : 's'}`);
    byId.delete(id);
  }
  let next = Math.max(BUILT_IN_PROFILES.length, ...existing.map((p) => p.id)) + 1;
  const ids: number[] = [];
  const written: Profile[] = [];
  for (const p of write.create ?? []) {
    const profile = { ...p, id: next++ };
    ids.push(profile.id);
    byId.set(profile.id, profile);
    written.push(profile);
  }
  for (const p of write.put ?? []) {
    byId.set(p.id, p);
    written.push(p);
  }
  for (const p of write.replace ?? []) {
    const before = byId.get(p.id);
    if (!before) throw new UnknownReferenceError(`profile ${p.id} does not exist`);
    const replaced = { ...p, builtIn: before.builtIn };
    byId.set(p.id, replaced);
    written.push(replaced);
  }
  const names = new Map<string, number>();
  for (const p of byId.values()) {
    const key = profileNameKey(p.name);
    if (names.has(key)) throw new DuplicateError(`profile "${p.name}"`);
    names.set(key, p.id);
  }
  return { profiles: written, ids, deleted: write.delete ?? [] };
}

/**
 * An account that has an enabled administrator keeps one: a write that would
 * disable, delete or demote the last of them is refused (409) and changes
 * nothing. Counted inside the write's transaction, before and after, so two
 * administrators removing each other at once cannot both succeed.
 */
export function keepAnAdministrator(before: number, after: number): void {
  if (before > 0 && after === 0) throw new InUseError("the account's last enabled administrator cannot be disabled, deleted or demoted");
}
