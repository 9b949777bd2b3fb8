/**
 * Every setting, parsed and validated once. Each has an environment variable
 * and a command-line flag; the flag wins. A bad value stops the program with
 * one line naming the setting and what is wrong (ConfigError).
 */
import { availableParallelism } from 'node:os';
import { isValidTimeZone, systemTimeZone } from './timezones.js';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | null;
  /** PostgreSQL connections per process. */
  databasePoolSize: number;
  publicHost: string;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  workers: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** IANA zone reported as serverTimeZoneName and used for error times. */
  serverTimeZone: string;
  /** Proxies whose X-Forwarded-For is believed: addresses or CIDRs. */
  trustProxy: string[];
  /** Web origins (scheme://host[:port]) allowed to call the API from a browser, with CORS. */
  allowedOrigins: string[];
  /** argon2 verifications allowed to run at once. */
  hashConcurrency: number;
  /** Verifications allowed to wait for one of those; beyond, logins get 503 with Retry-After. */
  hashQueueLimit: number;
  /** Largest request body accepted, bytes. */
  bodyLimit: number;
  /** Failed logins one client address may make per minute before 429. 0 = no limit. */
  loginFailuresPerMinute: number;
  /** Apply schema migrations at start. */
  autoMigrate: boolean;
  /** Audit events older than this are deleted. */
  eventRetentionDays: number;
  /** How often expired sessions, counters and old events are swept. 0 = never. */
  sweepIntervalMs: number;
  /** The whole request head must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this; above common load balancers' 60 s so they close first. */
  keepAliveTimeoutMs: number;
  /** Prefix of every Redis key, so several installations (or tests) can share one Redis. Null = the backend's default. */
  redisKeyPrefix: string | null;
  /** Collect Prometheus metrics and serve them at GET /metrics. */
  metrics: boolean;
  /** /metrics is served on this port only (not on the public one), summed over all workers; 0 = on the public port. */
  metricsPort: number;
  /** Address of the metrics listener: loopback unless deliberately exposed. */
  metricsHost: string;
  /** Serve the interactive API reference (Swagger UI) at /docs. */
  apiDocs: boolean;
  /** After SIGTERM, how long /readyz answers 503 while requests are still served, so load balancers stop sending traffic first. */
  shutdownDelayMs: number;
  /** After that, how long in-flight requests get to finish before their connections are cut. */
  shutdownTimeoutMs: number;
  /** Serve the administrators' web console at /console/. */
  console: boolean;
  /** One log line per request at info: method, route, path without its query string, status, duration. */
  accessLog: boolean;
  /** How often each instance reads the OAuth signing keys again, so a rotation elsewhere reaches it. */
  oauthKeysRefreshSeconds: number;
  /**
   * Key material for the OpenID Connect browser flow's short-lived cookies
   * (pending sign-in, console hand-off). Null: a random key per process, which
   * serves one process only; set it (the same on every instance) otherwise.
   */
  ssoStateSecret: string | null;
  /**
   * Keys that encrypt TOTP secrets at rest (AES-256-GCM), 32 bytes each: the
   * first encrypts, every one decrypts (rotation). Empty: TOTP enrolment is
   * refused; nothing is derived from anything else.
   */
  mfaEncryptionKeys: Buffer[];
}

export class ConfigError extends Error {
  constructor(setting: string, problem: string) {
    super(`configuration error: ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Raw = string | undefined;

interface SettingSpec<K extends keyof Config> {
  key: K;
  env: string;
  flag: string;
  parse(raw: Raw, name: string, partial: Partial<Config>): Config[K];
}

function integer(min: number, max: number, fallback: number) {
  return (raw: Raw, name: string): number => {
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

function boolean(fallback: boolean) {
  return (raw: Raw, name: string): boolean => {
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  };
}

const optionalString = (raw: Raw): string | null => (raw === undefined || raw === '' ? null : raw);

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)(\/\d{1,3})?$/;

/** A host as a browser's Origin names it: DNS labels (IDNs in their xn-- form), an IPv4 address or a bracketed IPv6 one. */
const ORIGIN_HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/;

/**
 * An origin as browsers send it (lower case, no default port), or a ConfigError.
 * Origins are compared exactly: a wildcard (`https://*.example.com`) matches
 * nothing a browser sends, and the URL parser would take `*` as part of a host
 * name, so it is refused like any other host that is not one.
 */
function webOrigin(item: string, name: string): string {
  if (item.includes('*')) throw new ConfigError(name, `wildcards are not supported, list each origin (scheme://host[:port]): "${item}"`);
  let url: URL | null = null;
  try {
    url = new URL(item);
  } catch {}
  const bare = url !== null && /^https?:$/.test(url.protocol) && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash && ORIGIN_HOST.test(url.hostname);
  if (!bare || !/^https?:\/\/[^/?#]+\/?$/i.test(item)) throw new ConfigError(name, `not an origin (scheme://host[:port], no path): "${item}"`);
  return url!.origin;
}

/** The OpenTelemetry Prometheus exporter's default port, where scrapers commonly look. */
export const DEFAULT_METRICS_PORT = 9464;

const SETTINGS: SettingSpec<keyof Config>[] = [
  { key: 'port', env: 'PORT', flag: 'port', parse: integer(0, 65535, 8080) },
  { key: 'host', env: 'HOST', flag: 'host', parse: (raw) => raw || '127.0.0.1' },
  {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    flag: 'db',
    parse: (raw, name) => {
      const url = raw || 'sqlite:./data/login-service.db';
      if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(url)) {
        throw new ConfigError(name, `must be sqlite:PATH, sqlite::memory: or postgres://…, got "${url.replace(/^([^/]*\/\/)[^@]*@/, '$1***@')}"`);
      }
      return url;
    },
  },
  { key: 'databasePoolSize', env: 'DATABASE_POOL_SIZE', flag: 'db-pool-size', parse: integer(1, 1000, 10) },
  {
    key: 'redisUrl',
    env: 'REDIS_URL',
    flag: 'redis',
    parse: (raw, name) => {
      const url = optionalString(raw);
      if (url !== null && !/^rediss?:\/\/.+/.test(url)) throw new ConfigError(name, 'must be redis://… or rediss://…');
      return url;
    },
  },
  { key: 'publicHost', env: 'PUBLIC_HOST', flag: 'public-host', parse: (raw, _n, p) => raw || `localhost:${p.port}` },
  { key: 'tlsCertFile', env: 'TLS_CERT_FILE', flag: 'tls-cert', parse: optionalString },
  {
    key: 'tlsKeyFile',
    env: 'TLS_KEY_FILE',
    flag: 'tls-key',
    parse: (raw, name, p) => {
      const key = optionalString(raw);
      if ((key === null) !== (p.tlsCertFile === null)) throw new ConfigError(name, 'TLS needs both a certificate and a key file');
      return key;
    },
  },
  { key: 'workers', env: 'WORKERS', flag: 'workers', parse: integer(1, 256, 1) },
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: 'log-level',
    parse: (raw, name) => {
      const level = raw || 'info';
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
        throw new ConfigError(name, `must be one of fatal, error, warn, info, debug, trace, silent; got "${level}"`);
      }
      return level as Config['logLevel'];
    },
  },
  {
    key: 'serverTimeZone',
    env: 'SERVER_TIME_ZONE',
    flag: 'server-time-zone',
    parse: (raw, name) => {
      const zone = raw || systemTimeZone();
      if (!isValidTimeZone(zone)) throw new ConfigError(name, `unknown IANA time zone "${zone}"`);
      return zone;
    },
  },
  {
    key: 'trustProxy',
    env: 'TRUST_PROXY',
    flag: 'trust-proxy',
    parse: (raw, name) => {
      const list = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      for (const item of list) if (!CIDR.test(item)) throw new ConfigError(name, `not an address or CIDR: "${item}"`);
      return list;
    },
  },
  {
    key: 'allowedOrigins',
    env: 'ALLOWED_ORIGINS',
    flag: 'allowed-origins',
    parse: (raw, name) => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((item) => webOrigin(item, name)),
  },
  { key: 'hashConcurrency', env: 'HASH_CONCURRENCY', flag: 'hash-concurrency', parse: integer(1, 1024, availableParallelism()) },
  { key: 'hashQueueLimit', env: 'HASH_QUEUE_LIMIT', flag: 'hash-queue-limit', parse: integer(1, 1_000_000, 1024) },
  { key: 'bodyLimit', env: 'BODY_LIMIT', flag: 'body-limit', parse: integer(256, 10 * 1024 * 1024, 16 * 1024) },
  { key: 'loginFailuresPerMinute', env: 'LOGIN_FAILURES_PER_MINUTE', flag: 'login-failures-per-minute', parse: integer(0, 1_000_000, 20) },
  { key: 'headersTimeoutMs', env: 'HEADERS_TIMEOUT_MS', flag: 'headers-timeout-ms', parse: integer(100, 600_000, 10_000) },
  { key: 'requestTimeoutMs', env: 'REQUEST_TIMEOUT_MS', flag: 'request-timeout-ms', parse: integer(100, 600_000, 15_000) },
  { key: 'keepAliveTimeoutMs', env: 'KEEP_ALIVE_TIMEOUT_MS', flag: 'keep-alive-timeout-ms', parse: integer(100, 3_600_000, 72_000) },
  { key: 'autoMigrate', env: 'AUTO_MIGRATE', flag: 'auto-migrate', parse: boolean(true) },
  { key: 'eventRetentionDays', env: 'EVENT_RETENTION_DAYS', flag: 'event-retention-days', parse: integer(1, 36500, 90) },
  { key: 'sweepIntervalMs', env: 'SWEEP_INTERVAL_MS', flag: 'sweep-interval-ms', parse: integer(0, 86_400_000, 60_000) },
  {
    key: 'redisKeyPrefix',
    env: 'REDIS_KEY_PREFIX',
    flag: 'redis-key-prefix',
    parse: (raw, name) => {
      const prefix = optionalString(raw);
      if (prefix !== null && !/^[\x21-\x7e]{1,64}$/.test(prefix)) throw new ConfigError(name, 'must be 1 to 64 printable characters without spaces');
      return prefix;
    },
  },
  { key: 'metrics', env: 'METRICS', flag: 'metrics', parse: boolean(true) },
  {
    key: 'metricsPort',
    env: 'METRICS_PORT',
    flag: 'metrics-port',
    parse: (raw, name, p) => {
      const port = integer(0, 65535, DEFAULT_METRICS_PORT)(raw, name);
      if (port !== 0 && port === p.port) throw new ConfigError(name, 'must differ from the listening port');
      return port;
    },
  },
  { key: 'metricsHost', env: 'METRICS_HOST', flag: 'metrics-host', parse: (raw) => raw || '127.0.0.1' },
  { key: 'apiDocs', env: 'API_DOCS', flag: 'api-docs', parse: boolean(true) },
  { key: 'shutdownDelayMs', env: 'SHUTDOWN_DELAY_MS', flag: 'shutdown-delay-ms', parse: integer(0, 600_000, 0) },
  { key: 'shutdownTimeoutMs', env: 'SHUTDOWN_TIMEOUT_MS', flag: 'shutdown-timeout-ms', parse: integer(0, 3_600_000, 25_000) },
  { key: 'console', env: 'CONSOLE', flag: 'console', parse: boolean(true) },
  { key: 'accessLog', env: 'ACCESS_LOG', flag: 'access-log', parse: boolean(false) },
  { key: 'oauthKeysRefreshSeconds', env: 'OAUTH_KEYS_REFRESH_SECONDS', flag: 'oauth-keys-refresh-seconds', parse: integer(1, 86_400, 60) },
  {
    key: 'ssoStateSecret',
    env: 'SSO_STATE_SECRET',
    flag: 'sso-state-secret',
    parse: (raw, name) => {
      if (raw === undefined || raw === '') return null;
      if (raw.length < 32) throw new ConfigError(name, 'must be at least 32 characters (e.g. openssl rand -hex 32)');
      return raw;
    },
  },
  { key: 'mfaEncryptionKeys', env: 'MFA_ENCRYPTION_KEY', flag: 'mfa-encryption-key', parse: encryptionKeys },
];

/** "current,previous,…": base64 keys of 32 bytes each, the current one first. */
function encryptionKeys(raw: Raw, name: string): Buffer[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((item, i) => {
    const text = item.trim();
    const key = Buffer.from(text, 'base64');
    // Refused unless the text is canonical base64 of exactly 32 bytes: a typo must not become a different key. The key itself is never echoed.
    if (!/^[A-Za-z0-9+/]{43}=$/.test(text) || key.length !== 32) {
      throw new ConfigError(name, `key ${i + 1} must be 32 bytes in base64 (44 characters, e.g. from \`openssl rand -base64 32\`)`);
    }
    return key;
  });
}

/** Value name and meaning of each setting, for the help text (keep beside SETTINGS). */
export const SETTING_HELP: Record<string, [string, string]> = {
  port: ['N', 'listening port (default 8080)'],
  host: ['ADDRESS', 'listening address (default 127.0.0.1)'],
  db: ['URL', 'sqlite:PATH, sqlite::memory: or postgres://… (default sqlite:./data/login-service.db)'],
  'db-pool-size': ['N', 'PostgreSQL connections per process (default 10)'],
  redis: ['URL', 'redis://…: keep sessions, counters and OAuth grants in Redis (default none)'],
  'public-host': ['HOST[:PORT]', 'where clients reach this server; the default agentVep base URI (default localhost:PORT)'],
  'tls-cert': ['FILE', 'PEM certificate: serve HTTPS (with --tls-key)'],
  'tls-key': ['FILE', 'PEM private key'],
  workers: ['N', 'processes serving on the port (default 1)'],
  'log-level': ['LEVEL', 'fatal, error, warn, info, debug, trace or silent (default info)'],
  'server-time-zone': ['ZONE', 'IANA zone reported as serverTimeZoneName (default: the system\'s)'],
  'trust-proxy': ['LIST', 'proxies (addresses or CIDRs) whose X-Forwarded-For is believed'],
  'allowed-origins': ['LIST', 'web origins (https://host[:port]) allowed to call the API from a browser, with CORS (default none)'],
  'hash-concurrency': ['N', 'password hashes computed at once (default: CPU count)'],
  'hash-queue-limit': ['N', 'password checks allowed to wait; beyond, logins get 503 with Retry-After (default 1024)'],
  'body-limit': ['BYTES', 'largest request body (default 16384)'],
  'login-failures-per-minute': ['N', 'failed logins per client address and minute before 429; 0 = no limit (default 20)'],
  'mfa-encryption-key': ['KEYS', 'base64 32-byte keys that encrypt TOTP secrets, current first: "current,previous"; without, TOTP enrolment is refused'],
  'auto-migrate': ['BOOL', 'apply schema migrations at start (default true)'],
  'event-retention-days': ['N', 'audit events are kept this long (default 90)'],
  'sweep-interval-ms': ['MS', 'how often expired data is swept; 0 = never (default 60000)'],
  'redis-key-prefix': ['PREFIX', 'prefix of every Redis key, so installations can share one Redis'],
  metrics: ['BOOL', 'serve Prometheus metrics at GET /metrics (default true)'],
  'metrics-port': ['N', 'serve /metrics on this port only; 0 = on the listening port (default 9464)'],
  'metrics-host': ['ADDRESS', 'listening address of the metrics port (default 127.0.0.1)'],
  'api-docs': ['BOOL', 'serve the interactive API reference (Swagger UI) at /docs (default true)'],
  'shutdown-delay-ms': ['MS', 'after SIGTERM, /readyz answers 503 this long before closing (default 0)'],
  'shutdown-timeout-ms': ['MS', 'then in-flight requests get this long to finish (default 25000)'],
  'headers-timeout-ms': ['MS', "a request's head must arrive within this (default 10000)"],
  'request-timeout-ms': ['MS', 'a whole request must arrive within this (default 15000)'],
  'keep-alive-timeout-ms': ['MS', 'idle keep-alive connections close after this (default 72000)'],
  console: ['BOOL', 'serve the administrators\' web console at /console/ (default true)'],
  'access-log': ['BOOL', 'log one line per request at info: method, route, path without query, status, ms (default false)'],
  'oauth-keys-refresh-seconds': ['N', 'how often the OAuth signing keys are read again from the store (default 60)'],
  'sso-state-secret': ['SECRET', 'key for the OpenID Connect sign-in cookies, the same on every instance (default: random per process)'],
};

/**
 * Settings that no longer do anything. They are still accepted, so that a
 * deployment that sets one keeps starting; their value is ignored and
 * `deprecatedSettingWarnings` says so.
 */
export const DEPRECATED_SETTINGS: ReadonlyArray<{ env: string; flag: string; reason: string }> = [
  { env: 'BEARER_CACHE_SIZE', flag: 'bearer-cache-size', reason: 'the SQLite store no longer keeps bearer checks in memory' },
];

/** Flags of the deprecated settings, which the command-line parser accepts too. */
export const DEPRECATED_SETTING_FLAGS: readonly string[] = DEPRECATED_SETTINGS.map((s) => s.flag);

/** One line per deprecated setting given (by variable or flag): what to remove, and why. */
export function deprecatedSettingWarnings(env: NodeJS.ProcessEnv = process.env, flags: Record<string, string | undefined> = {}): string[] {
  const warnings: string[] = [];
  for (const s of DEPRECATED_SETTINGS) {
    const name = flags[s.flag] !== undefined ? `--${s.flag}` : env[s.env] !== undefined ? s.env : null;
    if (name !== null) warnings.push(`${name} is deprecated and ignored: ${s.reason}; remove it from the configuration`);
  }
  return warnings;
}

/** Flags that carry a setting, for the command-line parser. */
export const SETTING_FLAGS: readonly string[] = SETTINGS.map((s) => s.flag);

/** Settings as (variable, flag) pairs, for help text and docs. */
export const SETTING_NAMES: ReadonlyArray<{ env: string; flag: string }> = SETTINGS.map(({ env, flag }) => ({ env, flag }));

export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: Record<string, string | undefined> = {}): Config {
  const partial: Partial<Config> = {};
  for (const spec of SETTINGS) {
    const fromFlag = flags[spec.flag];
    const raw = fromFlag !== undefined ? fromFlag : env[spec.env];
    const name = fromFlag !== undefined ? `--${spec.flag}` : spec.env;
    (partial as Record<string, unknown>)[spec.key] = spec.parse(raw, name, partial);
  }
  return partial as Config;
}
