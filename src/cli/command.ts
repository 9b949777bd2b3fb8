/** The shape of one admin command, so help text, argument checks and dispatch come from one table. */
import type { CliContext, CliOptions } from './context.js';

export interface Command {
  /** The words that select it, e.g. "user create". */
  name: string;
  /** Positional arguments after the name, e.g. ["accountId", "loginName"]. */
  args: string[];
  /** Flags it accepts besides --json and --help (names as in CLI_OPTIONS). */
  flags: string[];
  /** The rest of the synopsis after the positionals, e.g. "[--name NAME]"; one entry per alternative form. */
  synopsis: string | string[];
  summary: string;
  /**
   * The command may create a store that does not exist yet (account create,
   * migrate, import). Every other command refuses a missing SQLite file instead
   * of creating an empty one: a wrong directory or a mistyped --db is reported, not hidden.
   */
  createsStore?: boolean;
  run(ctx: CliContext, args: string[], options: CliOptions): Promise<void>;
}

/** The command's synopsis lines, one per form. */
export function synopsisOf(c: Command): string[] {
  const forms = typeof c.synopsis === 'string' ? [c.synopsis] : c.synopsis;
  return forms.map((tail) => ['login-service', c.name, ...c.args.map((a) => `<${a}>`), tail].filter(Boolean).join(' '));
}
