/**
 * API keys: list (never with secrets), create, revoke. The answer to a
 * create is the only time the secrets exist outside their hashes, so they are
 * shown once, each with a copy button, and dropped when the panel closes.
 */
import { paths, versions } from '../api.js';
import { button, confirmAction, field, formatWhen, h, input, messageArea, openDialog, select, table } from '../dom.js';
import { problem, type PageContext } from './page.js';

interface ApiKey {
  appKey: string;
  name?: string;
  type?: string;
  active?: boolean;
  createdAt?: number | string;
  revokedAt?: number | string | null;
  /** Login names of the bots bound to the key. */
  bots?: string[];
  /** Addresses the key is accepted from; empty: anywhere. */
  ipAllowlist?: string[];
  [field: string]: unknown;
}

const q = { v: versions.own };
/** The values a create answers with, in the order a bot's configuration lists them. */
const SECRET_FIELDS = ['appKey', 'secret', 'accessToken', 'accessTokenSecret'];
const LABELS: Record<string, string> = { appKey: 'App key', secret: 'Secret', accessToken: 'Access token', accessTokenSecret: 'Access token secret' };
/** The key types the API issues (`type`), as people call them. */
const KEY_TYPES = [
  { value: 'oauth1', label: 'OAuth 1.0', about: 'An OAuth 1.0 key: an app key, a secret, an access token and its secret.' },
  { value: 'oauth2', label: 'OAuth 2.0', about: 'An OAuth 2.0 key (client credentials): an app key and a secret.' },
];
/** The allowlist as typed (commas or spaces between entries), for the create body; nothing when empty. */
function allowlistOf(text: string): { ipAllowlist?: string[] } {
  const entries = text.split(/[\s,]+/).filter((e) => e !== '');
  return entries.length === 0 ? {} : { ipAllowlist: entries };
}

const typeLabel = (type: string | undefined) => KEY_TYPES.find((t) => t.value === type)?.label ?? type ?? '';

export async function apiKeysPage(ctx: PageContext): Promise<Node> {
  const { body: keys } = await ctx.api.get<ApiKey[]>(paths.appKeys, q);
  const messages = messageArea();
  const isRevoked = (k: ApiKey) => k.active === false || (k.revokedAt !== undefined && k.revokedAt !== null);

  function create(): void {
    const name = input({ name: 'name', required: true, autocomplete: 'off' });
    const type = select(KEY_TYPES, 'oauth1', { name: 'type' });
    const allowlist = input({ name: 'ipAllowlist', autocomplete: 'off', placeholder: '203.0.113.10, 10.1.0.0-10.1.0.255, 2001:db8::/32' });
    const about = h('p', null, KEY_TYPES[0]!.about);
    type.addEventListener('change', () => {
      about.textContent = KEY_TYPES.find((t) => t.value === type.value)?.about ?? '';
    });
    const formMessages = messageArea();
    openDialog('New API key', (close) =>
      h(
        'form',
        {
          on: {
            submit: async (event) => {
              event.preventDefault();
              try {
                const { body } = await ctx.api.call<Record<string, unknown>>('POST', paths.appKeys, { query: q, body: { name: name.value.trim(), type: type.value, ...allowlistOf(allowlist.value) } });
                close();
                showSecrets(body, () => ctx.refresh());
              } catch (error) {
                formMessages.error(problem(error));
              }
            },
          },
        },
        field('Name', name),
        field('Type', type),
        about,
        field('Usable from', allowlist, 'Addresses, FROM-TO ranges or CIDR blocks, separated by commas; empty: from anywhere.'),
        formMessages.el,
        h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, 'Create')),
      ),
    );
    name.focus();
  }

  return h(
    'div',
    null,
    h('div', { class: 'toolbar' }, button('New API key', create, { class: 'primary' })),
    messages.el,
    table(
      'API keys',
      [
        { header: 'Name', cell: (k) => k.name ?? '' },
        { header: 'Type', cell: (k) => typeLabel(k.type) },
        { header: 'App key', cell: (k) => h('code', null, k.appKey) },
        { header: 'Bots', cell: (k) => (k.bots ?? []).join(', ') },
        { header: 'Usable from', cell: (k) => (k.ipAllowlist && k.ipAllowlist.length > 0 ? k.ipAllowlist.join(', ') : 'anywhere') },
        { header: 'Created', cell: (k) => formatWhen(k.createdAt) },
        { header: 'Status', cell: (k) => (isRevoked(k) ? `revoked ${formatWhen(k.revokedAt)}`.trim() : 'active') },
        {
          header: 'Actions',
          cell: (k) =>
            isRevoked(k)
              ? null
              : button(
                  'Revoke',
                  async () => {
                    if (!(await confirmAction(`Revoke the API key ${k.name ?? k.appKey}? Bots using it can no longer log in.`, 'Revoke'))) return;
                    try {
                      await ctx.api.call('DELETE', `${paths.appKeys}/${encodeURIComponent(k.appKey)}`, { query: q });
                      ctx.refresh(`The API key ${k.name ?? k.appKey} is revoked.`);
                    } catch (error) {
                      messages.error(`Revoking failed: ${problem(error)}`);
                    }
                  },
                  { class: 'danger', attrs: { 'aria-label': `Revoke ${k.name ?? k.appKey}` } },
                ),
        },
      ],
      keys,
      'No API keys yet.',
    ),
  );
}

function showSecrets(issued: Record<string, unknown>, closed: () => void): void {
  const names = [...SECRET_FIELDS.filter((f) => typeof issued[f] === 'string'), ...Object.keys(issued).filter((f) => !SECRET_FIELDS.includes(f) && /secret|token/i.test(f) && typeof issued[f] === 'string')];
  const status = messageArea();
  const dialog = openDialog('API key created', (close) => [
    h('p', { class: 'warning' }, 'Copy these values now: the secrets are not shown again.'),
    h(
      'dl',
      { class: 'secrets' },
      names.map((name) => {
        const label = LABELS[name] ?? name;
        const value = String(issued[name]);
        return [
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
        ];
      }),
    ),
    status.el,
    h('div', { class: 'actions' }, button('Done', close, { class: 'primary' })),
  ]);
  dialog.addEventListener('close', closed);
}
