/**
 * Live sessions (never their tokens): list, filter by user, revoke one
 * session, a user's, or all. Revoking one session needs a server that gives
 * each listed session an opaque `id` (and marks the caller's own `current`);
 * without them the per-session button is left out.
 */
import { paths, versions } from '../api.js';
import { button, confirmAction, field, formatWhen, h, input, messageArea, table } from '../dom.js';
import { problem, type PageContext } from './page.js';

interface LiveSession {
  /** Opaque, for `DELETE sessions/{id}`; absent from servers that cannot revoke one session. */
  id?: string;
  /** The session this console runs on. */
  current?: boolean;
  loginName?: string;
  userId?: string;
  createdAt?: number | string;
  expiresAt?: number | string;
  appKey?: string | null;
  clientIp?: string | null;
  userAgent?: string | null;
  [field: string]: unknown;
}

const q = { v: versions.own };

/** The filter survives refreshes after a revoke. */
let userFilter = '';

export async function sessionsPage(ctx: PageContext): Promise<Node> {
  const { body: sessions } = await ctx.api.get<LiveSession[]>(paths.sessions, { ...q, user: userFilter || undefined });
  const messages = messageArea();
  const me = ctx.session.signedIn?.loginName.toLowerCase();
  const user = input({ type: 'search', name: 'user', value: userFilter, placeholder: 'login name' });

  const revoke = async (query: Record<string, string>, question: string, done: string) => {
    if (!(await confirmAction(question, 'Revoke'))) return;
    try {
      await ctx.api.call('DELETE', paths.sessions, { query: { ...q, ...query } });
      ctx.refresh(done);
    } catch (error) {
      messages.error(`Revoking failed: ${problem(error)}`);
    }
  };

  const revokeOne = async (s: LiveSession) => {
    const who = s.loginName ?? s.userId ?? 'this user';
    const question = s.current ? 'End this session, the one you are signed in with?' : `End this session of ${who}? Their other sessions go on.`;
    if (!(await confirmAction(question, 'Revoke session'))) return;
    try {
      await ctx.api.call('DELETE', `${paths.sessions}/${encodeURIComponent(s.id!)}`, { query: q });
      // Ending one's own session signs out: the next call is refused and the console says so.
      ctx.refresh(`A session of ${who} has ended.`);
    } catch (error) {
      messages.error(`Revoking failed: ${problem(error)}`);
    }
  };

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
            userFilter = user.value.trim();
            ctx.refresh();
          },
        },
      },
      field('User', user),
      h('button', { type: 'submit' }, 'Show'),
      button(
        'Revoke all sessions',
        () => revoke({ all: 'true' }, 'End every session of this account, yours included? Everyone must log in again.', 'Every session has ended.'),
        { class: 'danger' },
      ),
    ),
    messages.el,
    table(
      'Sessions',
      [
        { header: 'User', cell: (s) => [s.loginName ?? s.userId ?? '', s.current ? h('span', { class: 'badge' }, 'This session') : null] },
        { header: 'Kind', cell: (s) => (s.appKey ? 'bot' : 'person') },
        { header: 'Started', cell: (s) => formatWhen(s.createdAt) },
        { header: 'Expires', cell: (s) => formatWhen(s.expiresAt) },
        { header: 'Address', cell: (s) => s.clientIp ?? '' },
        {
          header: 'Actions',
          cell: (s) =>
            h(
              'div',
              { class: 'row-actions' },
              s.id ? button('Revoke session', () => revokeOne(s), { class: 'danger' }) : null,
              s.loginName
                ? button(
                    'Revoke',
                    () =>
                      revoke(
                        { user: s.loginName! },
                        s.loginName!.toLowerCase() === me ? `End every session of ${s.loginName}, this one included?` : `End every session of ${s.loginName}?`,
                        `The sessions of ${s.loginName} have ended.`,
                      ),
                    { class: 'danger', attrs: { 'aria-label': `Revoke the sessions of ${s.loginName}` } },
                  )
                : null,
            ),
        },
      ],
      sessions,
      userFilter ? `${userFilter} has no live session.` : 'No live sessions.',
    ),
  );
}
