/** Profiles: list, create, edit, delete. A profile's role type decides whether its users are administrators. */
import { paths, versions } from '../api.js';
import { button, confirmAction, field, h, input, messageArea, openDialog, select, table } from '../dom.js';
import { problem, type PageContext } from './page.js';

interface Profile {
  id: number;
  name: string;
  description?: string;
  roleTypeId: number;
  permissions?: number[];
  numOfAssignedUsers?: number;
  /** Made with the account, one per role type; the server refuses to delete them. */
  builtIn?: boolean;
  [field: string]: unknown;
}

/** Built-in profiles have the ids of their role types (1–4) when the server does not mark them. */
const isBuiltIn = (p: Profile) => p.builtIn ?? (p.id >= 1 && p.id <= 4);

const q = { v: versions.profiles };
const ROLE_TYPES = [
  { value: '1', label: 'Administrator' },
  { value: '2', label: 'Agent' },
  { value: '3', label: 'Agent Manager' },
  { value: '4', label: 'Campaign Manager' },
];
const roleName = (id: number) => ROLE_TYPES.find((r) => r.value === String(id))?.label ?? String(id);

/** "100, 101 1730" → [100, 101, 1730]; null when something is not a whole number. */
function parsePermissions(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (!parts.every((p) => /^\d+$/.test(p))) return null;
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

export async function profilesPage(ctx: PageContext): Promise<Node> {
  const { body: profiles, revision } = await ctx.api.get<Profile[]>(paths.profiles, q);
  const messages = messageArea();

  function edit(profile: Profile | null): void {
    const nameInput = input({ name: 'name', required: true, value: profile?.name ?? '' });
    const description = input({ name: 'description', value: profile?.description ?? '' });
    const role = select(ROLE_TYPES, String(profile?.roleTypeId ?? 2), { name: 'roleTypeId' });
    const permissions = input({ name: 'permissions', value: (profile?.permissions ?? []).join(', ') });
    const formMessages = messageArea();
    openDialog(profile ? `Edit ${profile.name}` : 'New profile', (close) =>
      h(
        'form',
        {
          on: {
            submit: async (event) => {
              event.preventDefault();
              const list = parsePermissions(permissions.value);
              if (!list) return formMessages.error('Permissions are whole numbers separated by commas.');
              const body = { name: nameInput.value.trim(), description: description.value.trim(), roleTypeId: Number(role.value), permissions: list };
              try {
                if (profile) await ctx.api.call('PUT', `${paths.profiles}/${profile.id}`, { query: q, body, ifMatch: revision });
                else await ctx.api.call('POST', paths.profiles, { query: q, body });
                close();
                ctx.refresh();
              } catch (error) {
                formMessages.error(problem(error));
              }
            },
          },
        },
        field('Name', nameInput),
        field('Description', description),
        field('Role', role),
        field('Permissions', permissions, 'privilege numbers, separated by commas'),
        formMessages.el,
        h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, profile ? 'Save' : 'Create')),
      ),
    );
    nameInput.focus();
  }

  return h(
    'div',
    null,
    h('div', { class: 'toolbar' }, button('New profile', () => edit(null), { class: 'primary' })),
    messages.el,
    table(
      'Profiles',
      [
        { header: 'Name', cell: (p) => p.name },
        { header: 'Role', cell: (p) => roleName(p.roleTypeId) },
        { header: 'Permissions', cell: (p) => (p.permissions ?? []).join(', ') },
        { header: 'Users', cell: (p) => p.numOfAssignedUsers ?? '' },
        {
          header: 'Actions',
          cell: (p) =>
            h(
              'div',
              { class: 'row-actions' },
              button('Edit', () => edit(p), { attrs: { 'aria-label': `Edit ${p.name}` } }),
              isBuiltIn(p)
                ? null
                : button(
                'Delete',
                async () => {
                  if (!(await confirmAction(`Delete the profile ${p.name}?`, 'Delete'))) return;
                  try {
                    await ctx.api.call('DELETE', `${paths.profiles}/${p.id}`, { query: q, ifMatch: revision });
                    ctx.refresh();
                  } catch (error) {
                    messages.error(`Deleting ${p.name} failed: ${problem(error)}`);
                  }
                },
                { class: 'danger', attrs: { 'aria-label': `Delete ${p.name}` } },
              ),
            ),
        },
      ],
      profiles,
    ),
  );
}
