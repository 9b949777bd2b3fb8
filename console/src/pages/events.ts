/**
 * Audit events, newest first: filtered by user, time and type, paged with
 * Older and Newer. The server filters (user, since, type) and pages: a full
 * page carries `ac-next-cursor`, sent back as `after` for the next older
 * page. The cursors of the pages seen are kept, so Newer goes back exactly.
 */
import { paths, versions, type AdminApi } from '../api.js';
import { button, field, formatWhen, h, input, select, table, timeValue } from '../dom.js';
import type { PageContext } from './page.js';

export interface AuditEvent {
  time: number | string;
  type: string;
  loginName?: string | null;
  userId?: string | null;
  clientIp?: string | null;
  detail?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The types the server records, as people read them. */
export const EVENT_TYPES: Record<string, string> = {
  login_success: 'Login',
  login_failure: 'Failed login',
  login_locked: 'Login while locked out',
  login_rate_limited: 'Login rate-limited',
  lockout: 'Lockout',
  unlock: 'Unlock',
  logout: 'Logout',
  refresh_failure: 'Refused refresh',
  password_change: 'Password change',
  password_expired: 'Password expired',
  session_revoked: 'Session revoked',
  apikey_used: 'API key used',
  admin_change: 'Administration',
};

/** Reason codes of refusals, explained. */
export const REASONS: Record<string, string> = {
  wrong_password: 'The password was wrong.',
  unknown_user: 'No user has this login name.',
  unknown_account: 'No account has this id.',
  disabled: 'The user is disabled.',
  locked: 'The user is locked out after too many failed logins.',
  sso_enforced: 'The account requires single sign-on; passwords are refused.',
  sso_not_configured: 'Single sign-on is not set up for the account.',
  password_too_long: 'The password is longer than the policy allows.',
  wrong_api_key: 'The API key or its secrets were wrong.',
  not_a_bot: 'An API key was used for a person; only bots log in with keys.',
  bot_password_login: 'A bot tried a password; bots log in with an API key.',
  bot: 'A bot cannot log in with single sign-on.',
  replayed: 'The sign-on assertion had been used before.',
  application_login_limit: 'Too many logins with this API key.',
  session_invalid: 'The session had ended or never existed.',
  no_cookie: 'The request carried no session cookie.',
  csrf_mismatch: 'The csrf token did not match the session.',
  session_cap: 'The oldest session ended: the user reached the most sessions allowed.',
  admin: 'An administrator ended it.',
  bad_signature: 'The sign-on assertion’s signature did not verify.',
  wrong_issuer: 'The sign-on assertion came from another identity provider.',
  wrong_audience: 'The sign-on assertion was meant for another service.',
  expired: 'The sign-on assertion had expired.',
  not_yet_valid: 'The sign-on assertion was not valid yet.',
  no_login_name: 'The sign-on assertion named no user.',
};

const PAGE_SIZE = 50;
const q = { v: versions.own };
/** The filter and page survive navigating away and back. `after[i]` is the cursor page i starts after (none for the newest). */
const filter = { user: '', since: '', type: '', page: 0, after: [] as string[] };

export const timeOf = (e: AuditEvent) => timeValue(e.time);

/** What happened, in words: the reason explained, then the other details. */
export function describeEvent(e: AuditEvent): string {
  const detail = { ...e.detail };
  const parts: string[] = [];
  if (typeof detail.reason === 'string') {
    parts.push(REASONS[detail.reason] ?? `Reason: ${detail.reason.replaceAll('_', ' ')}.`);
    delete detail.reason;
  }
  for (const [name, value] of Object.entries(detail)) {
    const shown = /until|At$/.test(name) && timeValue(value) > 0 ? formatWhen(value) : typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${name}: ${shown}`);
  }
  return parts.join(' · ');
}

/** The newest events of the filter, up to `limit`. */
export async function readEvents(api: AdminApi, query: { user?: string; since?: string; limit: number }): Promise<AuditEvent[]> {
  return (await readEventPage(api, query)).events;
}

/** One page of events, newest first, and the cursor of the next older page (null when this one is the last). */
export async function readEventPage(
  api: AdminApi,
  query: { user?: string; since?: string; type?: string; after?: string; limit: number },
): Promise<{ events: AuditEvent[]; next: string | null }> {
  const { body, headers } = await api.get<AuditEvent[]>(paths.events, {
    ...q,
    user: query.user || undefined,
    since: query.since,
    type: query.type || undefined,
    after: query.after,
    limit: query.limit,
  });
  return { events: [...body].sort((a, b) => timeOf(b) - timeOf(a)), next: headers.get('ac-next-cursor') };
}

export async function eventsPage(ctx: PageContext): Promise<Node> {
  // The form's local time, sent as ISO 8601 in UTC.
  const sinceTime = filter.since ? new Date(filter.since) : null;
  const since = sinceTime && Number.isFinite(sinceTime.getTime()) ? sinceTime.toISOString() : undefined;
  const { events: shown, next } = await readEventPage(ctx.api, { user: filter.user, since, type: filter.type, after: filter.after[filter.page], limit: PAGE_SIZE });

  const user = input({ type: 'search', name: 'user', value: filter.user, placeholder: 'login name' });
  const sinceInput = input({ type: 'datetime-local', name: 'since', value: filter.since });
  const type = select([{ value: '', label: 'All types' }, ...Object.entries(EVENT_TYPES).map(([value, label]) => ({ value, label }))], filter.type, { name: 'type' });

  const newer = button('Newer', () => {
    filter.page -= 1;
    ctx.refresh();
  });
  newer.disabled = filter.page === 0;
  const older = button('Older', () => {
    filter.page += 1;
    filter.after[filter.page] = next!;
    ctx.refresh();
  });
  // A full page may be followed by an empty one: the server cannot tell without reading further.
  older.disabled = next === null;
  const range = shown.length ? `${filter.page * PAGE_SIZE + 1}–${filter.page * PAGE_SIZE + shown.length}, newest first` : '';

  return h(
    'div',
    null,
    h(
      'form',
      {
        class: 'toolbar',
        on: {
          submit: (event) => {
            event.preventDefault();
            Object.assign(filter, { user: user.value.trim(), since: sinceInput.value, type: type.value, page: 0, after: [] });
            ctx.refresh();
          },
        },
      },
      field('User', user),
      field('Since', sinceInput),
      field('Type', type),
      h('button', { type: 'submit' }, 'Show'),
    ),
    table(
      'Events, newest first',
      [
        { header: 'Time', cell: (e) => (Number.isFinite(timeOf(e)) ? h('time', { dateTime: new Date(timeOf(e)).toISOString() }, formatWhen(timeOf(e))) : '') },
        { header: 'Event', cell: (e) => [EVENT_TYPES[e.type] ?? e.type, ' ', h('small', { class: 'code' }, e.type)] },
        { header: 'User', cell: (e) => e.loginName ?? e.userId ?? '' },
        { header: 'Address', cell: (e) => e.clientIp ?? '' },
        { header: 'Details', cell: describeEvent },
      ],
      shown,
      'No events match.',
    ),
    h('div', { class: 'pager' }, newer, h('span', null, range), older),
  );
}
