/** `migrate`, `export` and `import`: the whole installation's schema and data. */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { InvalidInputError } from '../errors.js';
import { exportInstallation, importInstallation, type InstallationDump } from '../store/transfer.js';
import type { Command } from './command.js';
import { UsageError } from './context.js';
import { plural } from './format.js';
import { readAll, stringFlag } from './input.js';

const migrate: Command = {
  name: 'migrate',
  createsStore: true,
  args: [],
  flags: [],
  synopsis: '',
  summary: 'apply the schema migrations the database lacks; prints how many ran',
  async run(ctx) {
    const url = ctx.config.databaseUrl;
    let applied: number;
    // Backends are loaded only when used: a SQLite installation need not load the PostgreSQL driver, nor the reverse.
    if (url.startsWith('sqlite:')) {
      const { migrateSqlite, openSqlite } = await import('../store/sqlite/database.js');
      const db = openSqlite(url.slice('sqlite:'.length), { migrate: false });
      try {
        applied = migrateSqlite(db);
      } finally {
        db.close();
      }
    } else {
      const { migratePostgres } = await import('../store/postgres/index.js');
      applied = await migratePostgres(url);
    }
    ctx.output({ applied }, () => (applied === 0 ? 'schema is up to date: no migration to apply' : `applied ${plural(applied, 'migration')}`));
  },
};

const exportCommand: Command = {
  name: 'export',
  args: [],
  flags: ['file'],
  synopsis: '[--file PATH]',
  summary: 'write every account, user, API key and base URI as one JSON document (to standard output, or PATH)',
  async run(ctx, _args, options) {
    const file = stringFlag(options, 'file');
    if (file === '') throw new UsageError('--file needs a path');
    const dump = await exportInstallation(await ctx.stores());
    if (file === undefined) {
      // The dump is itself the one JSON document on standard output, with or without --json.
      ctx.io.stdout.write(`${JSON.stringify(dump, null, 2)}\n`);
      return;
    }
    // Password hashes and API-key digests are inside: readable by the owner only, also when the file existed before.
    await writeFile(file, `${JSON.stringify(dump, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    const counts = { accounts: dump.accounts.length, users: dump.users.length, apiKeys: dump.apiKeys.length };
    ctx.output({ file, ...counts }, () => `exported ${plural(counts.accounts, 'account')}, ${plural(counts.users, 'user')} and ${plural(counts.apiKeys, 'API key')} to ${file}`);
  },
};

const importCommand: Command = {
  name: 'import',
  createsStore: true,
  args: [],
  flags: ['file'],
  synopsis: '[--file PATH]',
  summary: 'load a document written by export (from standard input, or PATH) into this installation',
  async run(ctx, _args, options) {
    const file = stringFlag(options, 'file');
    if (file === '') throw new UsageError('--file needs a path');
    const text = file === undefined ? await readAll(ctx.io.stdin) : await readFile(file, 'utf8');
    // Its shape is checked by importInstallation, which names the first wrong field.
    let dump: unknown;
    try {
      dump = JSON.parse(text);
    } catch (e) {
      throw new InvalidInputError(`${file ?? 'standard input'} is not a JSON document: ${(e as Error).message}`);
    }
    const counts = await importInstallation(await ctx.stores(), dump as InstallationDump);
    ctx.output(counts, () => `imported ${plural(counts.accounts, 'account')}, ${plural(counts.users, 'user')} and ${plural(counts.apiKeys, 'API key')}`);
  },
};

export const installationCommands: Command[] = [migrate, exportCommand, importCommand];
