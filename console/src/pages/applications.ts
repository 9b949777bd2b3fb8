/**
 * Applications: the account's OAuth 2.0 installations. List; install (the
 * client secret shown once, with a copy button); rotate the secret (the new
 * one shown once); edit redirect URIs and scopes; enable and disable; remove
 * (confirmed). Edits replace the whole installation, as PUT does, sending
 * back every field read with the changes, under If-Match of the revision the
 * page was read at.
 */
import { ApiError, paths, versions } from '../api.js';
import { button, confirmAction, field, formatWhen, h, input, messageArea, openDialog, select, table } from '../dom.js';
import { problem, type PageContext } from './page.js';

interface Installation {
  client_id: string;
  client_name: string;
  display_name?: string;
  description?: string;
  logo_uri?: string | null;
  grant_types: string[];
  redirect_uris: string[];
  response_types?: string[];
  scope: string;
  token_endpoint_auth_method: string;
  enabled: boolean;
  ip_allowlist?: string[];
  created_at?: string;
  updated_at?: string;
}

const q = { v: versions.own };
const KINDS = [
  { value: 'server', label: 'Server to server (client credentials)', grants: ['client_credentials'] },
  { value: 'person', label: 'Acting for a person (authorization code, refresh tokens)', grants: ['authorization_code', 'refresh_token'] },
];
const AUTH_METHODS = [
  { value: 'client_secret_basic', label: 'Secret in HTTP Basic (client_secret_basic)' },
  { value: 'client_secret_post', label: 'Secret in the form body (client_secret_post)' },
  { value: 'none', label: 'None: a public client, PKCE required (no secret)' },
];

const lines = (text: string) => text.split('\n').map((s) => s.trim()).filter((s) => s !== '');
const textarea = (name: string, value: string, placeholder: string) => h('textarea', { name, rows: 3, value, placeholder });

/** What a PUT sends: every writable field as read, with `changes`. */
function replacement(app: Installation, changes: Partial<Installation>): Record<string, unknown> {
  const { client_id: _id, created_at: _c, updated_at: _u, ...fields } = app;
  return { ...fields, ...changes };
}

export async function applicationsPage(ctx: PageContext): Promise<Node> {
  const { body: apps, revision } = await ctx.api.get<Installation[]>(paths.installations, q);
  const messages = messageArea();
  const itemPath = (app: Installation) => `${paths.installations}/${encodeURIComponent(app.client_id)}`;
  const stale = (error: unknown) => (error instanceof ApiError && error.status === 412 ? `${problem(error)} Reload the page to see the change.` : problem(error));

  function install(): void {
    const name = input({ name: 'client_name', required: true, autocomplete: 'off', maxLength: 128 });
    const kind = select(KINDS, 'server', { name: 'kind' });
    const redirects = textarea('redirect_uris', '', 'https://app.example.com/callback (one per line)');
    const scope = input({ name: 'scope', autocomplete: 'off', placeholder: 'users.read events.read' });
    const method = select(AUTH_METHODS, 'client_secret_basic', { name: 'token_endpoint_auth_method' });
    const formMessages = messageArea();
    openDialog('Install an application', (close) =>
      h(
        'form',
        {
          on: {
            submit: async (event) => {
              event.preventDefault();
              const grants = KINDS.find((k) => k.value === kind.value)!.grants;
              try {
                const { body } = await ctx.api.call<Installation & { client_secret?: string }>('POST', paths.installations, {
                  query: q,
                  ifMatch: revision,
                  body: { client_name: name.value.trim(), grant_types: grants, redirect_uris: lines(redirects.value), scope: scope.value.trim(), token_endpoint_auth_method: method.value },
                });
                close();
                showSecret('Application installed', body, () => ctx.refresh(`${body.client_name} is installed.`));
              } catch (error) {
                formMessages.error(stale(error));
              }
            },
          },
        },
        field('Name', name),
        field('Kind', kind),
        field('Redirect URIs', redirects, 'Needed when it acts for a person: https: (http: only for localhost), exact, no fragment.'),
        field('Scope', scope, 'Space-separated: <resource>.read or .write for users, agentGroups, profiles, appKeys, installations, baseUris, sessions, events, settings.'),
        field('Client authentication', method),
        formMessages.el,
        h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, 'Install')),
      ),
    );
    name.focus();
  }

  function edit(app: Installation): void {
    const redirects = textarea('redirect_uris', app.redirect_uris.join('\n'), 'https://app.example.com/callback (one per line)');
    const scope = input({ name: 'scope', value: app.scope, autocomplete: 'off' });
    const formMessages = messageArea();
    openDialog(`Edit ${app.client_name}`, (close) =>
      h(
        'form',
        {
          on: {
            submit: async (event) => {
              event.preventDefault();
              try {
                await ctx.api.call('PUT', itemPath(app), { query: q, ifMatch: revision, body: replacement(app, { redirect_uris: lines(redirects.value), scope: scope.value.trim() }) });
                close();
                ctx.refresh(`${app.client_name} is saved.`);
              } catch (error) {
                formMessages.error(stale(error));
              }
            },
          },
        },
        field('Redirect URIs', redirects, 'One per line; matched exactly.'),
        field('Scope', scope, 'Space-separated scopes the application may ask for.'),
        formMessages.el,
        h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, 'Save')),
      ),
    );
    redirects.focus();
  }

  async function setEnabled(app: Installation, enabled: boolean): Promise<void> {
    if (!enabled && !(await confirmAction(`Disable ${app.client_name}? Every token issued to it ends at once.`, 'Disable'))) return;
    try {
      await ctx.api.call('PUT', itemPath(app), { query: q, ifMatch: revision, body: replacement(app, { enabled }) });
      ctx.refresh(`${app.client_name} is ${enabled ? 'enabled' : 'disabled'}.`);
    } catch (error) {
      messages.error(`${enabled ? 'Enabling' : 'Disabling'} failed: ${stale(error)}`);
    }
  }

  async function rotate(app: Installation): Promise<void> {
    if (!(await confirmAction(`Give ${app.client_name} a new client secret? The current one stops working at once.`, 'Rotate secret'))) return;
    try {
      const { body } = await ctx.api.call<Installation & { client_secret?: string }>('POST', `${itemPath(app)}/secret`, { query: q, ifMatch: revision });
      showSecret('New client secret', body, () => ctx.refresh(`${app.client_name} has a new client secret.`));
    } catch (error) {
      messages.error(`Rotating failed: ${stale(error)}`);
    }
  }

  async function remove(app: Installation): Promise<void> {
    if (!(await confirmAction(`Remove ${app.client_name}? Its client id stops working, and its tokens and its bots' sessions end.`, 'Remove application', 'Remove'))) return;
    try {
      await ctx.api.call('DELETE', itemPath(app), { query: q, ifMatch: revision });
      ctx.refresh(`${app.client_name} is removed.`);
    } catch (error) {
      messages.error(`Removing failed: ${stale(error)}`);
    }
  }

  const action = (label: string, app: Installation, run: () => void, cls?: string) => button(label, run, { class: cls, attrs: { 'aria-label': `${label} ${app.client_name}` } });

  return h(
    'div',
    null,
    h('div', { class: 'toolbar' }, button('Install application', install, { class: 'primary' })),
    messages.el,
    table(
      'Applications',
      [
        { header: 'Name', cell: (a) => a.client_name },
        { header: 'Client ID', cell: (a) => h('code', null, a.client_id) },
        { header: 'Grants', cell: (a) => a.grant_types.join(', ') },
        { header: 'Scope', cell: (a) => a.scope || '—' },
        { header: 'Redirect URIs', cell: (a) => (a.redirect_uris.length === 0 ? '—' : h('div', null, a.redirect_uris.map((u) => h('div', null, h('code', null, u))))) },
        { header: 'Created', cell: (a) => formatWhen(a.created_at) },
        { header: 'Status', cell: (a) => (a.enabled ? 'enabled' : 'disabled') },
        {
          header: 'Actions',
          cell: (a) =>
            h(
              'div',
              { class: 'row-actions' },
              action('Edit', a, () => edit(a)),
              a.enabled ? action('Disable', a, () => void setEnabled(a, false)) : action('Enable', a, () => void setEnabled(a, true)),
              a.token_endpoint_auth_method === 'none' ? null : action('Rotate secret', a, () => void rotate(a)),
              action('Remove', a, () => void remove(a), 'danger'),
            ),
        },
      ],
      apps,
      'No applications installed yet.',
    ),
  );
}

/** The client id and (unless public) the secret, once, each with a copy button. */
function showSecret(title: string, app: Installation & { client_secret?: string }, closed: () => void): void {
  const status = messageArea();
  const values: Array<[string, string]> = [['Client ID', app.client_id]];
  if (app.client_secret) values.push(['Client secret', app.client_secret]);
  const dialog = openDialog(title, (close) => [
    h('p', { class: 'warning' }, app.client_secret ? 'Copy the client secret now: it is not shown again.' : 'A public client has no secret: it proves itself with PKCE.'),
    h(
      'dl',
      { class: 'secrets' },
      values.map(([label, value]) => [
        h('dt', null, label),
        h(
          'dd',
          null,
          h('code', { attrs: { 'aria-label': label } }, value),
          button(
            'Copy',
            () => {
              navigator.clipboard.writeText(value).then(
                () => status.info(`${label} copied.`),
                () => status.error('Copying is not allowed here; select the value and copy it.'),
              );
            },
            { attrs: { 'aria-label': `Copy ${label.toLowerCase()}` } },
          ),
        ),
      ]),
    ),
    status.el,
    h('div', { class: 'actions' }, button('Done', close, { class: 'primary' })),
  ]);
  dialog.addEventListener('close', closed);
}
