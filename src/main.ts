/**
 * Entry of the `login-service` command: parses arguments, builds the
 * configuration, and dispatches to `serve` or an admin command.
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { ConfigError, DEPRECATED_SETTING_FLAGS, SETTING_FLAGS, deprecatedSettingWarnings, loadConfig } from './config.js';
import { CLI_OPTIONS, USAGE, UsageError, helpText, runCli, type CliIo } from './cli/index.js';

export interface ParsedCommandLine {
  positionals: string[];
  settings: Record<string, string | undefined>;
  options: Record<string, string | string[] | boolean | undefined>;
}

/** A whole or decimal number below zero, e.g. the Main Group's id -1: a value, never a flag. */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

type OptionTable = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/**
 * Puts the command line in a form node:util's parseArgs reads without
 * ambiguity: a negative number after a flag that takes a value becomes that
 * flag's value (`--parent -1` → `--parent=-1`), and every positional argument
 * moves after `--`, so one that starts with a dash (`-1`) is not taken for a flag.
 */
function normalizeArguments(argv: string[], options: OptionTable): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (NEGATIVE_NUMBER.test(arg) || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    flags.push(arg);
    const next = argv[i + 1];
    const takesValue = arg.startsWith('--') && !arg.includes('=') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && (!next.startsWith('-') || NEGATIVE_NUMBER.test(next))) {
      flags[flags.length - 1] = `${arg}=${next}`;
      i++;
    }
  }
  return [...flags, '--', ...positionals];
}

/** Edit distance, for suggesting the flag that a mistyped one was meant to be. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** "unknown option --pasword; did you mean --password?": the closest known flag, when one is close. */
export function unknownOptionMessage(given: string, known: readonly string[]): string {
  const name = given.replace(/^-+/, '').split('=')[0]!;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = candidate.startsWith(name) && name.length >= 3 ? 1 : editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const close = best !== undefined && name.length >= 3 && bestDistance <= Math.max(2, Math.floor(name.length / 4));
  return `unknown option ${given.split('=')[0]}${close ? `; did you mean --${best}?` : ''} (login-service help lists the flags)`;
}

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const settingFlags = [...SETTING_FLAGS, ...DEPRECATED_SETTING_FLAGS];
  const settingOptions = Object.fromEntries(settingFlags.map((flag) => [flag, { type: 'string' as const }]));
  const options: OptionTable = { ...settingOptions, ...CLI_OPTIONS };
  let parsed;
  try {
    parsed = parseArgs({ args: normalizeArguments(argv, options), options, allowPositionals: true, strict: true });
  } catch (error) {
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    if ((error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      throw new UsageError(unknownOptionMessage(unknown[1]!, Object.keys(options)));
    }
    // parseArgs explains some mistakes over several lines; the first one names the problem.
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
  const settings: Record<string, string | undefined> = {};
  const values: Record<string, string | string[] | boolean | undefined> = {};
  for (const [key, value] of Object.entries(parsed.values)) {
    if (settingFlags.includes(key)) settings[key] = value as string;
    else values[key] = value as string | string[] | boolean;
  }
  return { positionals: parsed.positionals, settings, options: values };
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    io.stderr.write(`login-service: ${(e as Error).message}\n`);
    return 2;
  }
  const { positionals } = parsed;
  if (positionals.length === 0 && !parsed.options.help) {
    io.stderr.write(USAGE);
    return 2;
  }
  // `login-service help [command]` and `login-service <command> --help`: the same text.
  if (parsed.options.help || positionals[0] === 'help') {
    try {
      io.stdout.write(helpText(positionals[0] === 'help' ? positionals.slice(1) : positionals));
      return 0;
    } catch (e) {
      io.stderr.write(`login-service: ${(e as Error).message}\n`);
      return 2;
    }
  }
  let config;
  try {
    config = loadConfig(process.env, parsed.settings);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`login-service: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  // Once per start: a worker process runs this too.
  const warnings = cluster.isPrimary ? deprecatedSettingWarnings(process.env, parsed.settings) : [];
  if (positionals[0] === 'serve') {
    if (positionals.length > 1) {
      io.stderr.write(`login-service: unexpected arguments; usage: login-service serve [settings]\n`);
      return 2;
    }
    if (warnings.length > 0) {
      const { createLogger } = await import('./logger.js');
      const logger = createLogger(config.logLevel);
      for (const warning of warnings) logger.warn(warning);
    }
    const { serveWithWorkers } = await import('./cluster.js');
    const { StartError } = await import('./serve.js');
    try {
      return await serveWithWorkers(config);
    } catch (e) {
      // A port in use, a database that cannot be opened: one line naming the setting, no stack trace.
      if (!(e instanceof StartError)) throw e;
      io.stderr.write(`login-service: ${e.message}\n`);
      return 1;
    }
  }
  for (const warning of warnings) io.stderr.write(`login-service: warning: ${warning}\n`);
  return runCli(positionals, parsed.options, config, io);
}
