/**
 * Entry of the `login-service` command: parses arguments, builds the
 * configuration, and dispatches to `serve` or an admin command.
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { ConfigError, DEPRECATED_SETTING_FLAGS, SETTING_FLAGS, deprecatedSettingWarnings, loadConfig } from './config.js';
import { CLI_OPTIONS, USAGE, runCli, type CliIo } from './cli/index.js';

export interface ParsedCommandLine {
  positionals: string[];
  settings: Record<string, string | undefined>;
  options: Record<string, string | boolean | undefined>;
}

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const settingFlags = [...SETTING_FLAGS, ...DEPRECATED_SETTING_FLAGS];
  const settingOptions = Object.fromEntries(settingFlags.map((flag) => [flag, { type: 'string' as const }]));
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...settingOptions, ...CLI_OPTIONS },
    allowPositionals: true,
    strict: true,
  });
  const settings: Record<string, string | undefined> = {};
  const options: Record<string, string | boolean | undefined> = {};
  for (const [key, value] of Object.entries(values)) {
    if (settingFlags.includes(key)) settings[key] = value as string;
    else options[key] = value as string | boolean;
  }
  return { positionals, settings, options };
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    // parseArgs explains some mistakes over several lines; the first one names the problem.
    io.stderr.write(`login-service: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  if (parsed.options.help || parsed.positionals.length === 0) {
    (parsed.options.help ? io.stdout : io.stderr).write(USAGE);
    return parsed.options.help ? 0 : 2;
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
  if (parsed.positionals[0] === 'serve') {
    if (warnings.length > 0) {
      const { createLogger } = await import('./logger.js');
      const logger = createLogger(config.logLevel);
      for (const warning of warnings) logger.warn(warning);
    }
    const { serveWithWorkers } = await import('./cluster.js');
    return serveWithWorkers(config);
  }
  for (const warning of warnings) io.stderr.write(`login-service: warning: ${warning}\n`);
  return runCli(parsed.positionals, parsed.options, config, io);
}
