/** Agent groups: list, create, edit, delete (the main group and groups in use cannot be deleted). */
import { paths, versions } from '../api.js';
import { button, confirmAction, field, h, input, messageArea, openDialog, select, table } from '../dom.js';
import { problem, type PageContext } from './page.js';

interface AgentGroup {
  id: number;
  name: string;
  description?: string;
  parentGroupId?: number;
  isEnabled?: boolean;
  deleted?: boolean;
  [field: string]: unknown;
}

const q = { v: versions.agentGroups };
const MAIN_GROUP = -1;

export async function agentGroupsPage(ctx: PageContext): Promise<Node> {
  const { body: groups, revision } = await ctx.api.get<AgentGroup[]>(paths.agentGroups, q);
  const messages = messageArea();
  const name = (id: number | undefined) => groups.find((g) => g.id === id)?.name ?? '';

  function edit(group: AgentGroup | null): void {
    const nameInput = input({ name: 'name', required: true, value: group?.name ?? '' });
    const description = input({ name: 'description', value: group?.description ?? '' });
    const parents = groups.filter((g) => !g.deleted && g.id !== group?.id).map((g) => ({ value: String(g.id), label: g.name }));
    const parent = select(parents, String(group?.parentGroupId ?? MAIN_GROUP), { name: 'parentGroupId' });
    const enabled = input({ name: 'isEnabled', type: 'checkbox', checked: group?.isEnabled ?? true });
    const formMessages = messageArea();
    openDialog(group ? `Edit ${group.name}` : 'New agent group', (close) =>
      h(
        'form',
        {
          on: {
            submit: async (event) => {
              event.preventDefault();
              const body = { name: nameInput.value.trim(), description: description.value.trim(), parentGroupId: Number(parent.value), isEnabled: enabled.checked };
              try {
                if (group) await ctx.api.call('PUT', `${paths.agentGroups}/${group.id}`, { query: q, body, ifMatch: revision });
                else await ctx.api.call('POST', paths.agentGroups, { query: q, body });
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
        group?.id === MAIN_GROUP ? null : field('Parent group', parent),
        field('Enabled', enabled),
        formMessages.el,
        h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, group ? 'Save' : 'Create')),
      ),
    );
    nameInput.focus();
  }

  return h(
    'div',
    null,
    h('div', { class: 'toolbar' }, button('New agent group', () => edit(null), { class: 'primary' })),
    messages.el,
    table(
      'Agent groups',
      [
        { header: 'Name', cell: (g) => g.name },
        { header: 'Description', cell: (g) => g.description ?? '' },
        { header: 'Parent', cell: (g) => (g.id === MAIN_GROUP ? '' : name(g.parentGroupId ?? MAIN_GROUP)) },
        { header: 'Status', cell: (g) => (g.isEnabled === false ? 'disabled' : 'enabled') },
        {
          header: 'Actions',
          cell: (g) =>
            h(
              'div',
              { class: 'row-actions' },
              button('Edit', () => edit(g), { attrs: { 'aria-label': `Edit ${g.name}` } }),
              g.id === MAIN_GROUP
                ? null
                : button(
                    'Delete',
                    async () => {
                      if (!(await confirmAction(`Delete the agent group ${g.name}?`, 'Delete'))) return;
                      try {
                        await ctx.api.call('DELETE', `${paths.agentGroups}/${g.id}`, { query: q, ifMatch: revision });
                        ctx.refresh();
                      } catch (error) {
                        messages.error(`Deleting ${g.name} failed: ${problem(error)}`);
                      }
                    },
                    { class: 'danger', attrs: { 'aria-label': `Delete ${g.name}` } },
                  ),
            ),
        },
      ],
      groups.filter((g) => !g.deleted),
    ),
  );
}
