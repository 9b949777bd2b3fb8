/**
 * Agent groups, profiles and revisions on SQLite. A write runs in one
 * IMMEDIATE transaction: SQLite's single writer serializes it against every
 * other write, of this process and of others on the file, so the revision is
 * read, checked, and bumped with nothing in between.
 */
import {
  BUILT_IN_PROFILES,
  profileNameKey,
  type AgentGroup,
  type DirectoryReferences,
  type DirectoryResource,
  type DirectoryStore,
  type DirectoryWrite,
  type NewAgentGroup,
  type NewProfile,
  type Profile,
  type WriteResult,
} from '../../directory/model.js';
import { RevisionMismatchError } from '../../errors.js';
import { keepAnAdministrator, planGroupWrite, planProfileWrite } from '../directoryPlans.js';
import { type AgentGroupRow, type ProfileRow, type UserRow, toAgentGroup, toProfile, toUser } from '../rows.js';
import type { SqliteDatabase } from './database.js';

const b = (v: boolean) => (v ? 1 : 0);

/** Revisions and the references a write checks: used inside the write transactions of users and the directory. */
export class SqliteDirectoryTx {
  private readonly q;

  constructor(db: SqliteDatabase) {
    this.q = {
      revision: db.prepare('SELECT revision FROM revisions WHERE account_id = ? AND resource = ?').pluck(),
      bump: db.prepare(
        `INSERT INTO revisions (account_id, resource, revision) VALUES (?, ?, 1)
         ON CONFLICT (account_id, resource) DO UPDATE SET revision = revision + 1 RETURNING revision`,
      ).pluck(),
      groups: db.prepare('SELECT * FROM agent_groups WHERE account_id = ? ORDER BY group_id'),
      profileIds: db.prepare('SELECT profile_id FROM profiles WHERE account_id = ?').pluck(),
      liveUsers: db.prepare('SELECT * FROM users WHERE account_id = ? AND deleted = 0'),
      administrators: db.prepare(
        `SELECT COUNT(*) FROM users u WHERE u.account_id = ? AND u.deleted = 0 AND u.enabled = 1 AND EXISTS (
           SELECT 1 FROM json_each(u.profile_ids) j JOIN profiles p ON p.account_id = u.account_id AND p.profile_id = j.value
           WHERE p.role_type_id = 1)`,
      ).pluck(),
    };
  }

  revision(accountId: string, resource: DirectoryResource): number {
    return (this.q.revision.get(accountId, resource) as number | undefined) ?? 0;
  }

  /** Throws RevisionMismatchError when `expected` is given and differs. */
  check(accountId: string, resource: DirectoryResource, expected: number | undefined): void {
    if (expected === undefined) return;
    const current = this.revision(accountId, resource);
    if (current !== expected) throw new RevisionMismatchError(current);
  }

  bump(accountId: string, resource: DirectoryResource): number {
    return this.q.bump.get(accountId, resource) as number;
  }

  groups(accountId: string): AgentGroup[] {
    return (this.q.groups.all(accountId) as AgentGroupRow[]).map(toAgentGroup);
  }

  references(accountId: string): DirectoryReferences {
    return {
      liveGroupIds: new Set(this.groups(accountId).filter((g) => !g.deleted).map((g) => g.id)),
      profileIds: new Set(this.q.profileIds.all(accountId) as number[]),
    };
  }

  liveUsers(accountId: string) {
    return (this.q.liveUsers.all(accountId) as UserRow[]).map(toUser);
  }

  /** Enabled users, not deleted, holding a profile of the administrator role. */
  administrators(accountId: string): number {
    return this.q.administrators.get(accountId) as number;
  }

  /** Runs a write that could take away an administrator, refusing it when it takes away the last one. */
  keepingAnAdministrator<T>(accountId: string, write: () => T): T {
    const before = this.administrators(accountId);
    const result = write();
    keepAnAdministrator(before, this.administrators(accountId));
    return result;
  }
}

export class SqliteDirectoryStore implements DirectoryStore {
  private readonly q;
  private readonly tx: SqliteDirectoryTx;

  constructor(private readonly db: SqliteDatabase) {
    this.tx = new SqliteDirectoryTx(db);
    this.q = {
      listGroups: db.prepare('SELECT * FROM agent_groups WHERE account_id = ? AND (deleted = 0 OR ?) ORDER BY group_id'),
      listProfiles: db.prepare('SELECT * FROM profiles WHERE account_id = ? ORDER BY profile_id'),
      upsertGroup: db.prepare(
        `INSERT INTO agent_groups (account_id, group_id, name, description, parent_group_id, is_enabled, deleted, updated_at)
         VALUES (@accountId, @id, @name, @description, @parentGroupId, @isEnabled, @deleted, @updatedAt)
         ON CONFLICT (account_id, group_id) DO UPDATE SET name = excluded.name, description = excluded.description,
           parent_group_id = excluded.parent_group_id, is_enabled = excluded.is_enabled, deleted = excluded.deleted, updated_at = excluded.updated_at`,
      ),
      upsertProfile: db.prepare(
        `INSERT INTO profiles (account_id, profile_id, name, name_key, description, role_type_id, permissions, built_in, updated_at)
         VALUES (@accountId, @id, @name, @nameKey, @description, @roleTypeId, @permissions, @builtIn, @updatedAt)
         ON CONFLICT (account_id, profile_id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
           description = excluded.description, role_type_id = excluded.role_type_id, permissions = excluded.permissions, updated_at = excluded.updated_at`,
      ),
      deleteProfile: db.prepare('DELETE FROM profiles WHERE account_id = ? AND profile_id = ?'),
      maxProfileId: db.prepare('SELECT COALESCE(MAX(profile_id), 0) FROM profiles WHERE account_id = ?').pluck(),
    };
  }

  /** The main group and the built-in profiles of a new account, inside the account's insert transaction. */
  seedAccount(accountId: string, at: number): void {
    this.q.upsertGroup.run({ accountId, id: -1, name: 'Main Group', description: '', parentGroupId: null, isEnabled: 1, deleted: 0, updatedAt: at });
    for (const p of BUILT_IN_PROFILES) {
      this.q.upsertProfile.run({ accountId, ...p, nameKey: profileNameKey(p.name), permissions: '[]', builtIn: 1, updatedAt: at });
    }
    for (const resource of ['users', 'agentGroups', 'profiles'] as const) this.tx.bump(accountId, resource);
  }

  async revision(accountId: string, resource: DirectoryResource): Promise<number> {
    return this.tx.revision(accountId, resource);
  }

  async claimRevision(accountId: string, resource: 'installations', expected: number | undefined): Promise<number> {
    // One write transaction: nothing can bump between the check and the bump.
    return this.db.transaction(() => {
      this.tx.check(accountId, resource, expected);
      return this.tx.bump(accountId, resource);
    })();
  }

  async listAgentGroups(accountId: string, options: { includeDeleted?: boolean } = {}): Promise<AgentGroup[]> {
    return (this.q.listGroups.all(accountId, b(options.includeDeleted === true)) as AgentGroupRow[]).map(toAgentGroup);
  }

  async listProfiles(accountId: string): Promise<Profile[]> {
    return (this.q.listProfiles.all(accountId) as ProfileRow[]).map(toProfile);
  }

  async writeAgentGroups(accountId: string, write: DirectoryWrite<NewAgentGroup, AgentGroup>): Promise<WriteResult> {
    return this.db.transaction(() => {
      this.tx.check(accountId, 'agentGroups', write.expectedRevision);
      const { groups, ids } = planGroupWrite(this.tx.groups(accountId), write, () => this.tx.liveUsers(accountId));
      for (const g of groups) {
        this.q.upsertGroup.run({ accountId, ...g, isEnabled: b(g.isEnabled), deleted: b(g.deleted) });
      }
      return { revision: this.tx.bump(accountId, 'agentGroups'), ids };
    })();
  }

  async writeProfiles(accountId: string, write: DirectoryWrite<NewProfile, Profile> & { delete?: number[] }): Promise<WriteResult> {
    return this.db.transaction(() => {
      this.tx.check(accountId, 'profiles', write.expectedRevision);
      const existing = (this.q.listProfiles.all(accountId) as ProfileRow[]).map(toProfile);
      const { profiles, ids, deleted } = planProfileWrite(existing, write, () => this.tx.liveUsers(accountId));
      this.tx.keepingAnAdministrator(accountId, () => {
        for (const id of deleted) this.q.deleteProfile.run(accountId, id);
        for (const p of profiles) {
          this.q.upsertProfile.run({ accountId, ...p, nameKey: profileNameKey(p.name), permissions: JSON.stringify(p.permissions), builtIn: b(p.builtIn) });
        }
      });
      return { revision: this.tx.bump(accountId, 'profiles'), ids };
    })();
  }
}
