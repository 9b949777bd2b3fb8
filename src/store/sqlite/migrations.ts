import { hashToken } from '../../security/tokens.js';
import { planLoginNameKeys, unreachableKey, type NamedUser } from '../../users/loginName.js';
import type { SqliteDatabase } from './database.js';

/** SQL functions the migrations call; registered on the connection before they run. */
export function registerMigrationFunctions(db: SqliteDatabase): void {
  db.function('login_service_sha256_hex', { deterministic: true }, (value: unknown) => (value === null ? null : hashToken(String(value))));
}

/** SQL, or a step that needs code; each runs in the migration's transaction. */
export type SqliteMigration = string | ((db: SqliteDatabase) => void);


/** Versioned schema. Append new steps; never edit a released one. */
export const SQLITE_MIGRATIONS: SqliteMigration[] = [
  `
  CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    agent_groups TEXT NOT NULL,
    agent_groups_revision INTEGER NOT NULL,
    settings TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE service_base_uris (
    account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    base_uri TEXT NOT NULL,
    PRIMARY KEY (account_id, service)
  ) WITHOUT ROWID;
  CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    login_name TEXT NOT NULL,
    login_name_key TEXT NOT NULL,
    user_pid TEXT NOT NULL UNIQUE,
    is_bot INTEGER NOT NULL,
    app_key TEXT,
    password_hash TEXT,
    password_changed_at INTEGER,
    privileges TEXT NOT NULL,
    is_admin INTEGER NOT NULL,
    is_lpa INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, login_name_key)
  );
  CREATE TABLE api_keys (
    account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    app_key TEXT NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    access_token TEXT NOT NULL,
    access_token_secret_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    PRIMARY KEY (account_id, app_key)
  ) WITHOUT ROWID;
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    bearer_hash TEXT NOT NULL UNIQUE,
    csrf_hash TEXT NOT NULL,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    login_name TEXT NOT NULL,
    privileges TEXT NOT NULL,
    is_admin INTEGER NOT NULL,
    is_lpa INTEGER NOT NULL,
    app_key TEXT,
    wsuk TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ttl_ms INTEGER NOT NULL,
    hard_expires_at INTEGER,
    client_ip TEXT,
    user_agent TEXT
  );
  CREATE INDEX sessions_by_user ON sessions(account_id, user_id);
  CREATE INDEX sessions_by_expiry ON sessions(expires_at);
  CREATE TABLE counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    reset_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX counters_by_reset ON counters(reset_at);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    type TEXT NOT NULL,
    user_id TEXT,
    login_name TEXT,
    client_ip TEXT,
    user_agent TEXT,
    detail TEXT NOT NULL
  );
  CREATE INDEX events_by_account_time ON events(account_id, time);
  CREATE INDEX events_by_time ON events(time);
  `,
  // 2: the sweep finds sessions by sweep_after, a lower bound of expires_at that refreshes leave alone,
  // instead of an index on expires_at that every refresh had to rewrite (one random index page per
  // refresh besides the row's own, docs/BENCHMARKS.md). The default 0 is a
  // valid lower bound, so a process of the previous version inserting without the column still works.
  `
  ALTER TABLE sessions ADD COLUMN sweep_after INTEGER NOT NULL DEFAULT 0;
  UPDATE sessions SET sweep_after = expires_at;
  CREATE INDEX sessions_by_sweep ON sessions(sweep_after);
  DROP INDEX sessions_by_expiry;
  `,
  // 3: API keys get a type (oauth1, the four values; oauth2, client id and secret only), and the
  // access token is kept as its SHA-256 digest like the other secrets. Existing tokens are hashed
  // here. SQLite cannot drop NOT NULL from a column, so the table is rebuilt.
  `
  CREATE TABLE api_keys_next (
    account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    app_key TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'oauth1',
    secret_hash TEXT NOT NULL,
    access_token_hash TEXT,
    access_token_secret_hash TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    PRIMARY KEY (account_id, app_key)
  ) WITHOUT ROWID;
  INSERT INTO api_keys_next (account_id, app_key, name, type, secret_hash, access_token_hash, access_token_secret_hash, created_at, revoked_at)
    SELECT account_id, app_key, name, 'oauth1', secret_hash, login_service_sha256_hex(access_token), access_token_secret_hash, created_at, revoked_at
    FROM api_keys;
  DROP TABLE api_keys;
  ALTER TABLE api_keys_next RENAME TO api_keys;
  `,
  // 4: login names are compared as PRECIS usernames (users/loginName.ts), no longer only lower-cased.
  // Keys are recomputed; of users whose names now collide the oldest keeps the name and the others get
  // keys no login reaches. Nobody is merged or deleted: `login-service user conflicts` and a warning at
  // start list them. Every key is first made unique, so the unique index never sees a transient clash.
  (db) => {
    const users = db.prepare('SELECT account_id AS accountId, user_id AS userId, login_name AS loginName, created_at AS createdAt FROM users').all() as NamedUser[];
    const { keys } = planLoginNameKeys(users);
    const setKey = db.prepare('UPDATE users SET login_name_key = ? WHERE user_id = ?');
    for (const user of users) setKey.run(unreachableKey(user.userId), user.userId);
    for (const [userId, key] of keys) setKey.run(key, userId);
  },
  // 5: the account directory. Agent groups move from a JSON list on the account to rows; profiles
  // (one built-in per role type, ids 1-4) decide privileges; each resource type has a revision.
  // Existing users keep what they had: an administrator gets the Administrator profile (1), anyone
  // else the Agent profile (2), and each distinct privilege list of an account becomes a profile of
  // its own ("Privileges [..]", role type Agent) given to the users who had it. A deleted user keeps
  // a login_name_key no name can have (directory/model.ts), so the name is free again.
  `
  CREATE TABLE agent_groups (
    account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    parent_group_id INTEGER,
    is_enabled INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, group_id)
  ) WITHOUT ROWID;
  CREATE TABLE profiles (
    account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    profile_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    description TEXT NOT NULL,
    role_type_id INTEGER NOT NULL,
    permissions TEXT NOT NULL,
    built_in INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, profile_id),
    UNIQUE (account_id, name_key)
  ) WITHOUT ROWID;
  CREATE TABLE revisions (
    account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    resource TEXT NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (account_id, resource)
  ) WITHOUT ROWID;

  INSERT INTO agent_groups (account_id, group_id, name, description, parent_group_id, is_enabled, deleted, updated_at)
    SELECT a.account_id, json_extract(g.value, '$.id'), json_extract(g.value, '$.name'), '',
      CASE WHEN json_extract(g.value, '$.id') = -1 THEN NULL ELSE -1 END, 1,
      CASE WHEN json_extract(g.value, '$.deleted') THEN 1 ELSE 0 END, a.created_at
    FROM accounts a, json_each(a.agent_groups) g;
  INSERT OR IGNORE INTO agent_groups (account_id, group_id, name, description, parent_group_id, is_enabled, deleted, updated_at)
    SELECT account_id, -1, 'Main Group', '', NULL, 1, 0, created_at FROM accounts;
  INSERT INTO profiles (account_id, profile_id, name, name_key, description, role_type_id, permissions, built_in, updated_at)
    SELECT a.account_id, b.id, b.name, lower(b.name), 'Built-in ' || lower(b.name) || ' profile', b.id, '[]', 1, a.created_at
    FROM accounts a, (SELECT 1 AS id, 'Administrator' AS name UNION ALL SELECT 2, 'Agent' UNION ALL SELECT 3, 'Agent Manager' UNION ALL SELECT 4, 'Campaign Manager') b;
  INSERT INTO profiles (account_id, profile_id, name, name_key, description, role_type_id, permissions, built_in, updated_at)
    SELECT account_id, 4 + ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY privileges), 'Privileges ' || privileges,
      lower('Privileges ' || privileges), 'Privileges of users before profiles', 2, privileges, 0, 0
    FROM (SELECT DISTINCT account_id, privileges FROM users WHERE privileges <> '[]');
  INSERT INTO revisions (account_id, resource, revision)
    SELECT account_id, 'agentGroups', agent_groups_revision FROM accounts
    UNION ALL SELECT account_id, 'profiles', 1 FROM accounts
    UNION ALL SELECT account_id, 'users', 1 FROM accounts;

  ALTER TABLE users ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
  ALTER TABLE users ADD COLUMN nickname TEXT NOT NULL DEFAULT '';
  ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
  ALTER TABLE users ADD COLUMN employee_id TEXT NOT NULL DEFAULT '';
  ALTER TABLE users ADD COLUMN description TEXT NOT NULL DEFAULT '';
  ALTER TABLE users ADD COLUMN mobile_number TEXT NOT NULL DEFAULT '';
  ALTER TABLE users ADD COLUMN max_chats INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE users ADD COLUMN skill_ids TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE users ADD COLUMN member_of TEXT;
  ALTER TABLE users ADD COLUMN manager_of TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE users ADD COLUMN profile_ids TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE users ADD COLUMN change_pwd_next_login INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE users ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE users ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
  UPDATE users SET
    updated_at = created_at,
    member_of = json_object('agentGroupId', -1, 'assignmentDate', created_at),
    profile_ids = CASE
      WHEN privileges = '[]' THEN json_array(CASE WHEN is_admin THEN 1 ELSE 2 END)
      ELSE json_array(CASE WHEN is_admin THEN 1 ELSE 2 END,
        (SELECT p.profile_id FROM profiles p WHERE p.account_id = users.account_id AND p.built_in = 0 AND p.permissions = users.privileges))
    END;
  ALTER TABLE users DROP COLUMN privileges;
  ALTER TABLE users DROP COLUMN is_admin;
  ALTER TABLE accounts DROP COLUMN agent_groups;
  ALTER TABLE accounts DROP COLUMN agent_groups_revision;
  `,
  // 6: sessions record how they were made (amr, JSON text). Older sessions cannot say: a bot's (it has an
  // app_key) used its API key, anyone else's is taken for a password login.
  `
  ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]';
  UPDATE sessions SET amr = '["swk"]' WHERE app_key IS NOT NULL;
  `,
  // 7: new accounts get a longest session life of 24 hours and at most 10 sessions per user
  // (accounts/settings.ts). An account stores only what differs from the defaults, so existing
  // accounts that kept the old defaults (no limit, no cap) get them written in, and keep them.
  `UPDATE accounts SET settings = json_insert(settings, '$.absoluteSessionLifetimeMs', 0, '$.maxSessionsPerUser', 0)`,
  // 8: the last successful login, shown to administrators and used to deactivate inactive users.
  `ALTER TABLE users ADD COLUMN last_login_at INTEGER;`,
  // 9: OAuth 2.0 (oauth/model.ts). API keys get their installation view (JSON, null for keys made by
  // `apikey create`) and an address allowlist (JSON array). Authorization codes (`uses` counts takes:
  // 1 is the first), refresh tokens (`rotated_at` set once a newer token of the family replaced it;
  // kept until their own expiry, so a second use is recognized), revoked families and access tokens
  // (marks kept until `until`), and the signing keys every instance shares.
  `
  ALTER TABLE api_keys ADD COLUMN installation TEXT;
  ALTER TABLE api_keys ADD COLUMN ip_allowlist TEXT NOT NULL DEFAULT '[]';
  CREATE TABLE oauth_codes (
    code_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL,
    family_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX oauth_codes_by_user ON oauth_codes(account_id, user_id);
  CREATE INDEX oauth_codes_by_client ON oauth_codes(account_id, client_id);
  CREATE INDEX oauth_codes_by_expiry ON oauth_codes(expires_at);
  CREATE TABLE oauth_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX oauth_refresh_tokens_by_family ON oauth_refresh_tokens(family_id);
  CREATE INDEX oauth_refresh_tokens_by_user ON oauth_refresh_tokens(account_id, user_id);
  CREATE INDEX oauth_refresh_tokens_by_client ON oauth_refresh_tokens(account_id, client_id);
  CREATE INDEX oauth_refresh_tokens_by_expiry ON oauth_refresh_tokens(expires_at);
  CREATE TABLE oauth_revoked_families (
    family_id TEXT PRIMARY KEY,
    until INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX oauth_revoked_families_by_until ON oauth_revoked_families(until);
  CREATE TABLE oauth_revoked_access_tokens (
    jti TEXT PRIMARY KEY,
    until INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX oauth_revoked_access_tokens_by_until ON oauth_revoked_access_tokens(until);
  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_jwk TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
  ) WITHOUT ROWID;
  `,
  // 10: second factors (factors/model.ts): a TOTP secret (encrypted) per person, recovery code digests,
  // passkeys, and the short-lived tickets of the second step, kept by their token's digest.
  `
  CREATE TABLE totp_factors (
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_id)
  );
  CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (account_id, user_id, code_hash)
  );
  CREATE TABLE passkeys (
    account_id TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    counter INTEGER NOT NULL,
    transports TEXT NOT NULL DEFAULT '[]',
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    PRIMARY KEY (account_id, credential_id)
  );
  CREATE INDEX passkeys_user ON passkeys (account_id, user_id);
  CREATE TABLE factor_tickets (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX factor_tickets_user ON factor_tickets (account_id, user_id);
  CREATE INDEX factor_tickets_expiry ON factor_tickets (expires_at);
  `,
];
