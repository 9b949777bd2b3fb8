import type { AdminApi } from '../api.js';
import type { ConsoleSession } from '../session.js';

export interface PageContext {
  api: AdminApi;
  session: ConsoleSession;
  /** Builds the page again from fresh data (after a change), with `notice` above it. */
  refresh(notice?: string): void;
}

/** Builds one page's content below its heading. */
export type Page = (ctx: PageContext) => Promise<Node>;

/** The message of whatever a call threw, for an alert. */
export function problem(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}
