import type pg from 'pg';
import { planLoginNameKeys, unreachableKey, type NamedUser } from '../../users/loginName.js';

/** SQL, or a step that needs code; each runs in the migrations' transaction. */
export type PostgresMigration = string | ((client: pg.PoolClient) => Promise<void>);

/**
 * Versioned schema. Append new steps; never edit a released one.
 *
 * Times are BIGINT milliseconds (read back as JS numbers, see database.ts).
 * Keys that are sorted for the contract (login names, service names, ids) use
 * the "C" collation, so the order is byte order whatever the server's locale,
 * the same as the SQLite backend's.
 */
export const POSTGRES_MIGRATIONS: PostgresMigration[] = [
  `
  CREATE TABLE accounts (
    account_id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    agent_groups JSONB NOT NULL,
    agent_groups_revision INTEGER NOT NULL,
    settings JSONB NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE service_base_uris (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    service TEXT COLLATE "C" NOT NULL,
    base_uri TEXT NOT NULL,
    PRIMARY KEY (account_id, service)
  );
  CREATE TABLE users (
    user_id TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    login_name TEXT NOT NULL,
    login_name_key TEXT COLLATE "C" NOT NULL,
    user_pid TEXT NOT NULL UNIQUE,
    is_bot BOOLEAN NOT NULL,
    app_key TEXT,
    password_hash TEXT,
    password_changed_at BIGINT,
    privileges JSONB NOT NULL,
    is_admin BOOLEAN NOT NULL,
    is_lpa BOOLEAN NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, login_name_key)
  );
  CREATE TABLE api_keys (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    app_key TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    access_token TEXT NOT NULL,
    access_token_secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (account_id, app_key)
  );
  CREATE TABLE sessions (
    id_hash TEXT COLLATE "C" PRIMARY KEY,
    bearer_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    csrf_hash TEXT NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    login_name TEXT NOT NULL,
    privileges JSONB NOT NULL,
    is_admin BOOLEAN NOT NULL,
    is_lpa BOOLEAN NOT NULL,
    app_key TEXT COLLATE "C",
    wsuk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ttl_ms BIGINT NOT NULL,
    hard_expires_at BIGINT,
    client_ip TEXT,
    user_agent TEXT
  );
  CREATE INDEX sessions_by_user ON sessions (account_id, user_id);
  CREATE INDEX sessions_by_app_key ON sessions (account_id, app_key) WHERE app_key IS NOT NULL;
  CREATE INDEX sessions_by_expiry ON sessions (expires_at);
  CREATE TABLE counters (
    key TEXT COLLATE "C" PRIMARY KEY,
    count INTEGER NOT NULL,
    reset_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX counters_by_reset ON counters (reset_at);
  CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time BIGINT NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    type TEXT NOT NULL,
    user_id TEXT,
    login_name TEXT,
    client_ip TEXT,
    user_agent TEXT,
    detail JSONB NOT NULL
  );
  CREATE INDEX events_by_account_time ON events (account_id, time);
  CREATE INDEX events_by_time ON events (time);
  `,
  // 2: as in SQLite, the sweep and the live count use sweep_after, a lower bound of expires_at that
  // refreshes leave alone. With no index on expires_at, a refresh changes no indexed column, so
  // PostgreSQL can update the row in place (a HOT update: no new entry in any of the table's
  // indexes); fillfactor 90 leaves room in each page for those updates. The default 0 is a valid
  // lower bound, so instances of the previous version, which insert without the column, keep
  // working while a fleet is rolled.
  `
  ALTER TABLE sessions ADD COLUMN sweep_after BIGINT NOT NULL DEFAULT 0;
  UPDATE sessions SET sweep_after = expires_at;
  CREATE INDEX sessions_by_sweep ON sessions (sweep_after);
  DROP INDEX sessions_by_expiry;
  ALTER TABLE sessions SET (fillfactor = 90);
  `,
  // 3: API keys get a type (oauth1, the four values; oauth2, client id and secret only), and the
  // access token is kept as its SHA-256 digest (hex of the UTF-8 bytes, as hashToken) like the
  // other secrets; existing tokens are hashed here.
  `
  ALTER TABLE api_keys ADD COLUMN type TEXT NOT NULL DEFAULT 'oauth1';
  ALTER TABLE api_keys RENAME COLUMN access_token TO access_token_hash;
  UPDATE api_keys SET access_token_hash = encode(sha256(convert_to(access_token_hash, 'UTF8')), 'hex');
  ALTER TABLE api_keys ALTER COLUMN access_token_hash DROP NOT NULL, ALTER COLUMN access_token_secret_hash DROP NOT NULL;
  `,
  // 4: login names are compared as PRECIS usernames (users/loginName.ts), no longer only lower-cased.
  // Keys are recomputed; of users whose names now collide the oldest keeps the name and the others get
  // keys no login reaches. Nobody is merged or deleted: `login-service user conflicts` and a warning at
  // start list them. Every key is first made unique, so the unique constraint never sees a transient clash.
  async (client) => {
    const { rows } = await client.query<NamedUser>(
      'SELECT account_id AS "accountId", user_id AS "userId", login_name AS "loginName", created_at AS "createdAt" FROM users',
    );
    const users = rows.map((u) => ({ ...u, createdAt: Number(u.createdAt) }));
    const { keys } = planLoginNameKeys(users);
    const setKeys = (pairs: Array<[string, string]>) =>
      client.query('UPDATE users SET login_name_key = k.key FROM unnest($1::text[], $2::text[]) AS k(user_id, key) WHERE users.user_id = k.user_id', [
        pairs.map(([userId]) => userId),
        pairs.map(([, key]) => key),
      ]);
    await setKeys(users.map((u) => [u.userId, unreachableKey(u.userId)]));
    await setKeys([...keys]);
  },
  // 5: the account directory, as in SQLite (see there): agent groups as rows, profiles, a revision
  // per resource type, the new user fields; existing users mapped onto profiles.
  `
  CREATE TABLE agent_groups (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    parent_group_id INTEGER,
    is_enabled BOOLEAN NOT NULL,
    deleted BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, group_id)
  );
  CREATE TABLE profiles (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    profile_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    description TEXT NOT NULL,
    role_type_id INTEGER NOT NULL,
    permissions JSONB NOT NULL,
    built_in BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, profile_id),
    UNIQUE (account_id, name_key)
  );
  CREATE TABLE revisions (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    resource TEXT COLLATE "C" NOT NULL,
    revision BIGINT NOT NULL,
    PRIMARY KEY (account_id, resource)
  );

  INSERT INTO agent_groups (account_id, group_id, name, description, parent_group_id, is_enabled, deleted, updated_at)
    SELECT a.account_id, (g->>'id')::int, g->>'name', '',
      CASE WHEN (g->>'id')::int = -1 THEN NULL ELSE -1 END, true, COALESCE((g->>'deleted')::boolean, false), a.created_at
    FROM accounts a, jsonb_array_elements(a.agent_groups) g;
  INSERT INTO agent_groups (account_id, group_id, name, description, parent_group_id, is_enabled, deleted, updated_at)
    SELECT account_id, -1, 'Main Group', '', NULL, true, false, created_at FROM accounts
    ON CONFLICT DO NOTHING;
  INSERT INTO profiles (account_id, profile_id, name, name_key, description, role_type_id, permissions, built_in, updated_at)
    SELECT a.account_id, b.id, b.name, lower(b.name), 'Built-in ' || lower(b.name) || ' profile', b.id, '[]'::jsonb, true, a.created_at
    FROM accounts a, (VALUES (1, 'Administrator'), (2, 'Agent'), (3, 'Agent Manager'), (4, 'Campaign Manager')) AS b(id, name);
  INSERT INTO profiles (account_id, profile_id, name, name_key, description, role_type_id, permissions, built_in, updated_at)
    SELECT account_id, 4 + ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY privileges::text), 'Privileges ' || privileges::text,
      lower('Privileges ' || privileges::text), 'Privileges of users before profiles', 2, privileges, false, 0
    FROM (SELECT DISTINCT account_id, privileges FROM users WHERE privileges <> '[]'::jsonb) d;
  INSERT INTO revisions (account_id, resource, revision)
    SELECT account_id, 'agentGroups', agent_groups_revision FROM accounts
    UNION ALL SELECT account_id, 'profiles', 1 FROM accounts
    UNION ALL SELECT account_id, 'users', 1 FROM accounts;

  ALTER TABLE users
    ADD COLUMN full_name TEXT NOT NULL DEFAULT '',
    ADD COLUMN nickname TEXT NOT NULL DEFAULT '',
    ADD COLUMN email TEXT NOT NULL DEFAULT '',
    ADD COLUMN employee_id TEXT NOT NULL DEFAULT '',
    ADD COLUMN description TEXT NOT NULL DEFAULT '',
    ADD COLUMN mobile_number TEXT NOT NULL DEFAULT '',
    ADD COLUMN max_chats INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN skill_ids JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN member_of JSONB,
    ADD COLUMN manager_of JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN profile_ids JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN change_pwd_next_login BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
  UPDATE users SET
    updated_at = created_at,
    member_of = jsonb_build_object('agentGroupId', -1, 'assignmentDate', created_at),
    profile_ids = CASE
      WHEN privileges = '[]'::jsonb THEN jsonb_build_array(CASE WHEN is_admin THEN 1 ELSE 2 END)
      ELSE jsonb_build_array(CASE WHEN is_admin THEN 1 ELSE 2 END,
        (SELECT p.profile_id FROM profiles p WHERE p.account_id = users.account_id AND NOT p.built_in AND p.permissions = users.privileges))
    END;
  ALTER TABLE users DROP COLUMN privileges, DROP COLUMN is_admin;
  ALTER TABLE accounts DROP COLUMN agent_groups, DROP COLUMN agent_groups_revision;
  `,
  // 6: sessions record how they were made, as in SQLite (see there). TEXT rather than JSONB: the bearer
  // check reads it as the text the service wrote and shares one parsed array per value.
  `
  ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]';
  UPDATE sessions SET amr = '["swk"]' WHERE app_key IS NOT NULL;
  `,
  // 7: new accounts get a longest session life of 24 hours and at most 10 sessions per user
  // (accounts/settings.ts). An account stores only what differs from the defaults, so existing
  // accounts that kept the old defaults (no limit, no cap) get them written in, and keep them.
  `UPDATE accounts SET settings = jsonb_build_object('absoluteSessionLifetimeMs', 0, 'maxSessionsPerUser', 0) || settings`,
  // 8: the last successful login, shown to administrators and used to deactivate inactive users.
  `ALTER TABLE users ADD COLUMN last_login_at BIGINT;`,
  // 9: OAuth 2.0, as in SQLite (see there). The installation and allowlist are TEXT holding JSON, as
  // the service writes and reads them whole.
  `
  ALTER TABLE api_keys ADD COLUMN installation TEXT, ADD COLUMN ip_allowlist TEXT NOT NULL DEFAULT '[]';
  CREATE TABLE oauth_codes (
    code_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    family_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0
  );
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
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT
  );
  CREATE INDEX oauth_refresh_tokens_by_family ON oauth_refresh_tokens(family_id);
  CREATE INDEX oauth_refresh_tokens_by_user ON oauth_refresh_tokens(account_id, user_id);
  CREATE INDEX oauth_refresh_tokens_by_client ON oauth_refresh_tokens(account_id, client_id);
  CREATE INDEX oauth_refresh_tokens_by_expiry ON oauth_refresh_tokens(expires_at);
  CREATE TABLE oauth_revoked_families (
    family_id TEXT PRIMARY KEY,
    until BIGINT NOT NULL
  );
  CREATE INDEX oauth_revoked_families_by_until ON oauth_revoked_families(until);
  CREATE TABLE oauth_revoked_access_tokens (
    jti TEXT PRIMARY KEY,
    until BIGINT NOT NULL
  );
  CREATE INDEX oauth_revoked_access_tokens_by_until ON oauth_revoked_access_tokens(until);
  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_jwk TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
  );
  `,
  // 10: second factors, as in SQLite (see there).
  `
  CREATE TABLE totp_factors (
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    confirmed BOOLEAN NOT NULL DEFAULT false,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_id)
  );
  CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (account_id, user_id, code_hash)
  );
  CREATE TABLE passkeys (
    account_id TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    counter BIGINT NOT NULL,
    transports JSONB NOT NULL DEFAULT '[]',
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    PRIMARY KEY (account_id, credential_id)
  );
  CREATE INDEX passkeys_user ON passkeys (account_id, user_id);
  CREATE TABLE factor_tickets (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    data JSONB NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX factor_tickets_user ON factor_tickets (account_id, user_id);
  CREATE INDEX factor_tickets_expiry ON factor_tickets (expires_at);
  `,
];
