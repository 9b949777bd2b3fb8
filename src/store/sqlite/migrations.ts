/** Versioned schema. Append new steps; never edit a released one. */
export const SQLITE_MIGRATIONS: string[] = [
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
];
