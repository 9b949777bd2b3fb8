/**
 * The admin commands of `login-service`: their flags, their help text and
 * their dispatch. `main` (src/main.ts) parses the command line with
 * CLI_OPTIONS plus the setting flags, runs `serve` itself and hands every
 * other command to `runCli`.
 *
 * Exit status: 0 done; 1 the command could not be done (unknown account or
 * user, duplicate, rejected value, store error); 2 the command line is wrong.
 * Errors are one line on standard error; with --json, standard output carries
 * exactly one JSON document, or nothing when the command failed.
 */
import type { ParseArgsConfig } from 'node:util';
import { SETTING_HELP, SETTING_NAMES, type Config } from '../config.js';
import { accessCommands } from './access.js';
import { SETTING_FLAG_OPTIONS, accountCommands } from './accounts.js';
import { apiKeyCommands } from './apiKeys.js';
import { appCommands } from './apps.js';
import { synopsisOf, type Command } from './command.js';
import { CliContext, UsageError, type CliIo, type CliOptions } from './context.js';
import { directoryCommands } from './directory.js';
import { domainCommands } from './domains.js';
import { printable } from './format.js';
import { refuseControlCharacters } from './input.js';
import { eventCommands } from './events.js';
import { installationCommands } from './installation.js';
import { keyCommands } from './keys.js';
import { sessionCommands } from './sessions.js';
import { ssoCommands } from './sso.js';
import { userCommands } from './users.js';

export { UsageError, type CliIo, type CliOptions } from './context.js';

export const COMMANDS: readonly Command[] = [
  ...accountCommands,
  ...userCommands,
  ...directoryCommands,
  ...apiKeyCommands,
  ...appCommands,
  ...keyCommands,
  ...domainCommands,
  ...ssoCommands,
  ...accessCommands,
  ...sessionCommands,
  ...eventCommands,
  ...installationCommands,
];

/** Every command flag; the setting flags (--db, --port…) belong to src/config.ts. */
export const CLI_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  name: { type: 'string' },
  'time-zone': { type: 'string' },
  parent: { type: 'string' },
  description: { type: 'string' },
  'role-type': { type: 'string' },
  permissions: { type: 'string' },
  // account set: one flag per account setting (accounts/settings.ts).
  ...SETTING_FLAG_OPTIONS,
  'password-stdin': { type: 'boolean' },
  password: { type: 'string' },
  admin: { type: 'boolean' },
  privileges: { type: 'string' },
  bot: { type: 'boolean' },
  'app-key': { type: 'string' },
  user: { type: 'string' },
  all: { type: 'boolean' },
  id: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  file: { type: 'string' },
  type: { type: 'string' },
  'idp-issuer': { type: 'string' },
  'idp-cert': { type: 'string', multiple: true },
  audience: { type: 'string' },
  'login-name-attribute': { type: 'string' },
  enforce: { type: 'string' },
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'client-secret-stdin': { type: 'boolean' },
  'display-name': { type: 'string' },
  'login-name-claim': { type: 'string' },
  // app install | update: the fields of an OAuth 2.0 application.
  'logo-uri': { type: 'string' },
  grant: { type: 'string', multiple: true },
  'redirect-uri': { type: 'string', multiple: true },
  scope: { type: 'string' },
  'auth-method': { type: 'string' },
  public: { type: 'boolean' },
  disable: { type: 'boolean' },
  enable: { type: 'boolean' },
  'ip-allow': { type: 'string', multiple: true },
  alg: { type: 'string' },
  // access set, apikey create
  mfa: { type: 'string' },
  'mfa-for-sso': { type: 'string' },
  'ip-restrictions': { type: 'string' },
  'ip-range': { type: 'string', multiple: true },
  'deactivate-after-days': { type: 'string' },
  force: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;


const SERVE_SYNOPSIS = 'login-service serve';
const SERVE_SUMMARY = "run the HTTP server (on an empty store: creates a demo account and prints its administrator's password once)";

function settingLines(): string[] {
  return SETTING_NAMES.map(({ env, flag }) => {
    const [value, meaning] = SETTING_HELP[flag] ?? ['VALUE', ''];
    return `  ${`--${flag} ${value}`.padEnd(34)}${env.padEnd(27)}${meaning}`.trimEnd();
  });
}

function usageText(): string {
  const commandLines = [
    `  ${SERVE_SYNOPSIS}`,
    `      ${SERVE_SUMMARY}`,
    ...COMMANDS.flatMap((c) => [...synopsisOf(c).map((line) => `  ${line}`), `      ${c.summary}`]),
  ];
  return [
    'Usage: login-service <command> [arguments] [flags]',
    '       login-service help [command]   (or: login-service <command> --help)',
    '',
    'Commands:',
    ...commandLines,
    '',
    'Every command also takes:',
    '  --json      print exactly one JSON document on standard output, nothing else',
    '  --db URL    the store to work on (as the setting below)',
    '  --help, -h  this text, or with a command its own',
    '',
    'Prefer --password-stdin (the first line of standard input) to --password: a password',
    'on the command line is visible to other users of the machine and stays in shell history.',
    '',
    'Only serve, migrate, import and account create create a store that does not exist yet;',
    'every other command reports a missing SQLite file instead of creating an empty one.',
    '',
    'Exit status: 0 done, 1 could not be done (unknown account or user, duplicate, rejected value), 2 wrong command line.',
    '',
    'Settings (a flag wins over its environment variable):',
    ...settingLines(),
    '',
  ].join('\n');
}

function commandHelp(c: Command): string {
  const [first, ...others] = synopsisOf(c);
  const flags = c.flags.map((f) => `--${f}`).join(', ');
  return [
    `Usage: ${first}`,
    ...others.map((line) => `   or: ${line}`),
    '',
    `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`,
    '',
    ...(flags ? [`Flags: ${flags}`] : []),
    'Also: --json (one JSON document on standard output), --db URL (the store), --help.',
    ...(c.createsStore ? ['Creates the store when it does not exist yet.'] : ['Needs an existing store: a missing SQLite file is reported, not created.']),
    '',
  ].join('\n');
}

function serveHelp(): string {
  return [`Usage: ${SERVE_SYNOPSIS} [settings]`, '', `${SERVE_SUMMARY[0]!.toUpperCase()}${SERVE_SUMMARY.slice(1)}.`, '', 'Settings (a flag wins over its environment variable):', ...settingLines(), ''].join('\n');
}

/**
 * `login-service help [words…]` and `login-service <words…> --help`: the whole
 * usage, one command's, or the commands of one group ("user"). Only the
 * command words count: arguments after them are ignored.
 */
export function helpText(words: string[]): string {
  const [first] = words;
  if (first === undefined) return USAGE;
  if (first === 'serve') return serveHelp();
  const group = COMMANDS.filter((c) => c.name.split(' ')[0] === first);
  if (group.length === 0) throw new UsageError(`unknown command "${first}" (login-service help lists the commands)`);
  const command = commandNamed(group, words);
  if (command) return commandHelp(command);
  return ['Usage:', ...group.flatMap((c) => [...synopsisOf(c).map((line) => `  ${line}`), `      ${c.summary}`]), '', `login-service help ${first} <action> shows one of them.`, ''].join('\n');
}

export const USAGE: string = usageText();

/** The command whose words the given ones start with, the longest name first ("sso oidc set" before "sso oidc"). */
function commandNamed(group: Command[], words: string[]): Command | undefined {
  return [...group]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((word, i) => words[i] === word));
}

function selectCommand(positionals: string[]): { command: Command; args: string[] } {
  const [first = '', second] = positionals;
  const group = COMMANDS.filter((c) => c.name.split(' ')[0] === first);
  if (group.length === 0) throw new UsageError(`unknown command "${first}" (login-service help lists the commands)`);
  const command = commandNamed(group, positionals);
  if (!command) {
    const actions = [...new Set(group.map((c) => c.name.split(' ').slice(1).join(' ')))].join(', ');
    throw new UsageError(second === undefined ? `"${first}" needs one of: ${actions}` : `unknown command "${first} ${second}"; "${first}" takes: ${actions}`);
  }
  const args = positionals.slice(command.name.split(' ').length);
  if (args.length !== command.args.length) {
    throw new UsageError(`${args.length < command.args.length ? 'missing' : 'unexpected'} arguments; usage: ${synopsisOf(command).join('  or  ')}`);
  }
  return { command, args };
}

function checkFlags(command: Command, options: CliOptions): void {
  const allowed = new Set(['json', 'help', ...command.flags]);
  for (const [flag, value] of Object.entries(options)) {
    if (value !== undefined && !allowed.has(flag)) throw new UsageError(`--${flag} does not apply to "${command.name}"; usage: ${synopsisOf(command).join('  or  ')}`);
  }
}

export async function runCli(positionals: string[], options: CliOptions, config: Config, io: CliIo): Promise<number> {
  let ctx: CliContext | undefined;
  try {
    const { command, args } = selectCommand(positionals);
    checkFlags(command, options);
    refuseControlCharacters(args, options, command.args);
    ctx = new CliContext(config, io, options.json === true, command.createsStore === true);
    await command.run(ctx, args, options);
    return 0;
  } catch (error) {
    // Unknown account or user, duplicates, rejected values and store failures alike: the message says which.
    // A connection refused on every address of a host name arrives as an AggregateError with an empty message.
    const cause = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
    const message = (cause instanceof Error ? cause.message || cause.name : String(cause)).split('\n')[0];
    io.stderr.write(`login-service: ${printable(message ?? '')}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    try {
      await ctx?.close();
    } catch (error) {
      ctx?.warn(`closing the store failed: ${(error as Error).message}`);
    }
  }
}
