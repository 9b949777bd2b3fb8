/** Audit events, newest first, filtered by user and time. */
import { paths, versions } from '../api.js';
import { field, formatTime, h, input, table } from '../dom.js';
import type { PageContext } from './page.js';

interface AuditEvent {
  time: number | string;
  type: string;
  loginName?: string | null;
  userId?: string | null;
  clientIp?: string | null;
  detail?: Record<string, unknown>;
  [field: string]: unknown;
}

const q = { v: versions.own };
const filter = { user: '', since: '', limit: '100' };

const timeOf = (e: AuditEvent) => (typeof e.time === 'number' ? e.time : Date.parse(e.time));

function describe(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([name, value]) => `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ');
}

export async function eventsPage(ctx: PageContext): Promise<Node> {
  // The form's local time, sent as ISO 8601 in UTC.
  const since = filter.since ? new Date(filter.since) : null;
  const { body } = await ctx.api.get<AuditEvent[]>(paths.events, {
    ...q,
    user: filter.user || undefined,
    since: since && Number.isFinite(since.getTime()) ? since.toISOString() : undefined,
    limit: filter.limit || undefined,
  });
  const events = [...body].sort((a, b) => timeOf(b) - timeOf(a));
  const user = input({ type: 'search', name: 'user', value: filter.user, placeholder: 'login name' });
  const sinceInput = input({ type: 'datetime-local', name: 'since', value: filter.since });
  const limit = input({ type: 'number', name: 'limit', value: filter.limit, min: '1', max: '1000' });

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
            Object.assign(filter, { user: user.value.trim(), since: sinceInput.value, limit: limit.value });
            ctx.refresh();
          },
        },
      },
      field('User', user),
      field('Since', sinceInput),
      field('At most', limit),
      h('button', { type: 'submit' }, 'Show'),
    ),
    table(
      'Events, newest first',
      [
        { header: 'Time', cell: (e) => formatTime(timeOf(e)) },
        { header: 'Event', cell: (e) => e.type },
        { header: 'User', cell: (e) => e.loginName ?? e.userId ?? '' },
        { header: 'Address', cell: (e) => e.clientIp ?? '' },
        { header: 'Details', cell: (e) => describe(e.detail) },
      ],
      events,
      'No events match.',
    ),
  );
}
