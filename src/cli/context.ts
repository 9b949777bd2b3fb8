/**
 * What every admin command works with: the configuration, the three streams,
 * the store (opened on first use, so a command line that is wrong fails before
 * any file or connection is touched), the audit log and the output mode.
 */
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AuditLog, type AuditInput } from '../events/audit.js';
import { openConfiguredStores, type Stores } from '../store/index.js';
import { CLI_ACTOR, type AdminContext } from '../events/actor.js';
import { PasswordHasher } from '../security/passwords.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** Flag values; a flag that may be repeated (--idp-cert) gives a list. */
export type CliOptions = Record<string, string | string[] | boolean | undefined>;

/** The command line itself is wrong: exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The file of a `sqlite:PATH` store; null for memory and PostgreSQL. */
function sqliteFile(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith('sqlite:')) return null;
  const path = databaseUrl.slice('sqlite:'.length);
  return path === ':memory:' ? null : path;
}

const withoutCredentials = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

/** Every admin event says it came from the command line, so it stands apart from API traffic. */
const VIA_CLI = { via: 'cli', by: 'cli' } as const;

export class CliContext {
  readonly clock: Clock = systemClock;
  private opened: Promise<Stores> | undefined;
  private auditLog: AuditLog | undefined;

  constructor(
    readonly config: Config,
    readonly io: CliIo,
    readonly json: boolean,
    /** False: a SQLite file that does not exist is an error, not a new empty store (Command.createsStore). */
    readonly mayCreateStore = true,
  ) {}

  stores(): Promise<Stores> {
    const path = sqliteFile(this.config.databaseUrl);
    if (!this.mayCreateStore && path !== null && !existsSync(path)) {
      return Promise.reject(new Error(`no database at ${resolvePath(path)} (pass --db, or run serve first)`));
    }
    this.opened ??= openConfiguredStores(this.config).catch((error: unknown) => {
      const cause = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
      throw new Error(`cannot open the store ${withoutCredentials(this.config.databaseUrl)}: ${(cause as Error).message || String(cause)}`);
    });
    return this.opened;
  }

  async audit(): Promise<AuditLog> {
    if (!this.auditLog) {
      const stores = await this.stores();
      this.auditLog = new AuditLog(stores.events, this.clock, (error) => {
        this.warn(`audit event not stored: ${(error as Error).message}`);
      });
    }
    return this.auditLog;
  }

  /** What the administration actions (admin/) run with: their events name `cli` as the actor. */
  async admin(): Promise<AdminContext> {
    return { stores: await this.stores(), clock: this.clock, hasher: new PasswordHasher(undefined, this.config.hashConcurrency), audit: await this.audit(), actor: CLI_ACTOR };
  }

  /** Records an audit event marked as coming from the command line. */
  async record(input: AuditInput): Promise<void> {
    await (await this.audit()).record({ ...input, detail: { ...input.detail, ...VIA_CLI } });
  }

  /** One `admin_change` event: what changed, never a password or secret. */
  async recordAdminChange(accountId: string, action: string, detail: Record<string, unknown> = {}, user?: { userId: string; loginName: string }): Promise<void> {
    await this.record({ accountId, type: 'admin_change', userId: user?.userId, loginName: user?.loginName, detail: { action, ...detail } });
  }

  /** Prints the result: `value` as the one JSON document with --json, otherwise `text`. */
  output(value: unknown, text: () => string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else this.io.stdout.write(text().replace(/\n?$/, '\n'));
  }

  warn(message: string): void {
    this.io.stderr.write(`login-service: warning: ${message}\n`);
  }

  async close(): Promise<void> {
    if (this.opened) await (await this.opened.catch(() => null))?.close();
  }
}
