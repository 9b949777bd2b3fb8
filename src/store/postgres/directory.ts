/**
 * Agent groups, profiles and revisions on PostgreSQL. Every write of an
 * account's directory (users included) runs in one transaction holding an
 * advisory lock of that account, so writers on any instance take turns: the
 * revision is read, checked and bumped with nothing in between, and the
 * rules (directoryPlans.ts) see what the account holds at that moment.
 */
import type pg from 'pg';
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

/** First key of the two-key advisory locks of account directories; the second is the account id's hash. */
const DIRECTORY_LOCK_SPACE = 720675;

/** Runs `work` in a transaction that holds the account's directory lock. */
export async function inDirectoryTransaction<T>(pool: pg.Pool, accountId: string, work: (tx: PostgresDirectoryTx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DIRECTORY_LOCK_SPACE, accountId]);
    const result = await work(new PostgresDirectoryTx(client, accountId));
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

export class PostgresDirectoryTx {
  constructor(
    readonly client: pg.PoolClient,
    private readonly accountId: string,
  ) {}

  async revision(resource: DirectoryResource): Promise<number> {
    return revisionOf(this.client, this.accountId, resource);
  }

  async check(resource: DirectoryResource, expected: number | undefined): Promise<void> {
    if (expected === undefined) return;
    const current = await this.revision(resource);
    if (current !== expected) throw new RevisionMismatchError(current);
  }

  async bump(resource: DirectoryResource): Promise<number> {
    const { rows } = await this.client.query<{ revision: number }>(
      `INSERT INTO revisions (account_id, resource, revision) VALUES ($1, $2, 1)
       ON CONFLICT (account_id, resource) DO UPDATE SET revision = revisions.revision + 1 RETURNING revision`,
      [this.accountId, resource],
    );
    return rows[0]!.revision;
  }

  async groups(): Promise<AgentGroup[]> {
    const { rows } = await this.client.query<AgentGroupRow>('SELECT * FROM agent_groups WHERE account_id = $1 ORDER BY group_id', [this.accountId]);
    return rows.map(toAgentGroup);
  }

  async profiles(): Promise<Profile[]> {
    const { rows } = await this.client.query<ProfileRow>('SELECT * FROM profiles WHERE account_id = $1 ORDER BY profile_id', [this.accountId]);
    return rows.map(toProfile);
  }

  async references(): Promise<DirectoryReferences> {
    const [groups, profiles] = [await this.groups(), await this.profiles()];
    return { liveGroupIds: new Set(groups.filter((g) => !g.deleted).map((g) => g.id)), profileIds: new Set(profiles.map((p) => p.id)) };
  }

  /** Enabled users, not deleted, holding a profile of the administrator role. */
  async administrators(): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM users u WHERE u.account_id = $1 AND NOT u.deleted AND u.enabled AND EXISTS (
         SELECT 1 FROM profiles p WHERE p.account_id = u.account_id AND p.role_type_id = 1 AND u.profile_ids @> to_jsonb(p.profile_id))`,
      [this.accountId],
    );
    return rows[0]!.n;
  }

  /** Runs a write that could take away an administrator, refusing it when it takes away the last one. */
  async keepingAnAdministrator<T>(write: () => Promise<T>): Promise<T> {
    const before = await this.administrators();
    const result = await write();
    keepAnAdministrator(before, await this.administrators());
    return result;
  }

  async liveUsers() {
    const { rows } = await this.client.query<UserRow>('SELECT * FROM users WHERE account_id = $1 AND NOT deleted', [this.accountId]);
    return rows.map(toUser);
  }

  async upsertGroup(g: AgentGroup): Promise<void> {
    await this.client.query(
      `INSERT INTO agent_groups (account_id, group_id, name, description, parent_group_id, is_enabled, deleted, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (account_id, group_id) DO UPDATE SET name = excluded.name, description = excluded.description,
         parent_group_id = excluded.parent_group_id, is_enabled = excluded.is_enabled, deleted = excluded.deleted, updated_at = excluded.updated_at`,
      [this.accountId, g.id, g.name, g.description, g.parentGroupId, g.isEnabled, g.deleted, g.updatedAt],
    );
  }

  async upsertProfile(p: Profile): Promise<void> {
    await this.client.query(
      `INSERT INTO profiles (account_id, profile_id, name, name_key, description, role_type_id, permissions, built_in, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (account_id, profile_id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
         description = excluded.description, role_type_id = excluded.role_type_id, permissions = excluded.permissions, updated_at = excluded.updated_at`,
      [this.accountId, p.id, p.name, profileNameKey(p.name), p.description, p.roleTypeId, JSON.stringify(p.permissions), p.builtIn, p.updatedAt],
    );
  }

  /** The main group, the built-in profiles and the first revisions of a new account. */
  async seed(at: number): Promise<void> {
    await this.upsertGroup({ id: -1, name: 'Main Group', description: '', parentGroupId: null, isEnabled: true, deleted: false, updatedAt: at });
    for (const p of BUILT_IN_PROFILES) await this.upsertProfile({ ...p, permissions: [], builtIn: true, updatedAt: at });
    for (const resource of ['users', 'agentGroups', 'profiles'] as const) await this.bump(resource);
  }
}

async function revisionOf(db: pg.Pool | pg.PoolClient, accountId: string, resource: DirectoryResource): Promise<number> {
  const { rows } = await db.query<{ revision: number }>({
    name: 'revisions.get',
    text: 'SELECT revision FROM revisions WHERE account_id = $1 AND resource = $2',
    values: [accountId, resource],
  });
  return rows[0]?.revision ?? 0;
}

export class PostgresDirectoryStore implements DirectoryStore {
  constructor(private readonly pool: pg.Pool) {}

  async revision(accountId: string, resource: DirectoryResource): Promise<number> {
    return revisionOf(this.pool, accountId, resource);
  }

  async claimRevision(accountId: string, resource: 'installations', expected: number | undefined): Promise<number> {
    if (expected === undefined) {
      const { rows } = await this.pool.query<{ revision: number }>(
        `INSERT INTO revisions (account_id, resource, revision) VALUES ($1, $2, 1)
         ON CONFLICT (account_id, resource) DO UPDATE SET revision = revisions.revision + 1 RETURNING revision`,
        [accountId, resource],
      );
      return rows[0]!.revision;
    }
    // The row first (revision 0 when new), then one conditional update: a single statement decides who wins.
    await this.pool.query('INSERT INTO revisions (account_id, resource, revision) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [accountId, resource]);
    const { rows } = await this.pool.query<{ revision: number }>(
      'UPDATE revisions SET revision = revision + 1 WHERE account_id = $1 AND resource = $2 AND revision = $3 RETURNING revision',
      [accountId, resource, expected],
    );
    if (rows[0]) return rows[0].revision;
    throw new RevisionMismatchError(await revisionOf(this.pool, accountId, resource));
  }

  async listAgentGroups(accountId: string, options: { includeDeleted?: boolean } = {}): Promise<AgentGroup[]> {
    const { rows } = await this.pool.query<AgentGroupRow>({
      name: 'agent_groups.list',
      text: 'SELECT * FROM agent_groups WHERE account_id = $1 AND (NOT deleted OR $2) ORDER BY group_id',
      values: [accountId, options.includeDeleted === true],
    });
    return rows.map(toAgentGroup);
  }

  async listProfiles(accountId: string): Promise<Profile[]> {
    const { rows } = await this.pool.query<ProfileRow>({
      name: 'profiles.list',
      text: 'SELECT * FROM profiles WHERE account_id = $1 ORDER BY profile_id',
      values: [accountId],
    });
    return rows.map(toProfile);
  }

  async writeAgentGroups(accountId: string, write: DirectoryWrite<NewAgentGroup, AgentGroup>): Promise<WriteResult> {
    return inDirectoryTransaction(this.pool, accountId, async (tx) => {
      await tx.check('agentGroups', write.expectedRevision);
      const existing = await tx.groups();
      const users = write.replace?.some((g) => g.deleted) ? await tx.liveUsers() : [];
      const { groups, ids } = planGroupWrite(existing, write, () => users);
      for (const g of groups) await tx.upsertGroup(g);
      return { revision: await tx.bump('agentGroups'), ids };
    });
  }

  async writeProfiles(accountId: string, write: DirectoryWrite<NewProfile, Profile> & { delete?: number[] }): Promise<WriteResult> {
    return inDirectoryTransaction(this.pool, accountId, async (tx) => {
      await tx.check('profiles', write.expectedRevision);
      const existing = await tx.profiles();
      const users = write.delete?.length ? await tx.liveUsers() : [];
      const { profiles, ids, deleted } = planProfileWrite(existing, write, () => users);
      await tx.keepingAnAdministrator(async () => {
        for (const id of deleted) await tx.client.query('DELETE FROM profiles WHERE account_id = $1 AND profile_id = $2', [accountId, id]);
        for (const p of profiles) await tx.upsertProfile(p);
      });
      return { revision: await tx.bump('profiles'), ids };
    });
  }
}
