/** Base URIs: where the Domain API sends clients for each service of the account. */
import { paths, versions } from '../api.js';
import { button, confirmAction, field, h, input, messageArea, table } from '../dom.js';
import { problem, type PageContext } from './page.js';

interface BaseUri {
  service: string;
  baseURI: string;
}

const q = { v: versions.own };
/** The Login Service itself: every account has it. */
const LOGIN_SERVICE = 'agentVep';

export async function baseUrisPage(ctx: PageContext): Promise<Node> {
  const { body } = await ctx.api.get<BaseUri[] | { baseURIs: BaseUri[] }>(paths.baseUris, q);
  const uris = Array.isArray(body) ? body : body.baseURIs;
  const messages = messageArea();
  const service = input({ name: 'service', required: true, placeholder: 'e.g. asyncMessagingEnt' });
  const baseURI = input({ name: 'baseURI', required: true, placeholder: 'host[:port]' });

  const save = async (name: string, uri: string) => {
    try {
      await ctx.api.call('PUT', `${paths.baseUris}/${encodeURIComponent(name)}`, { query: q, body: { baseURI: uri } });
      ctx.refresh();
    } catch (error) {
      messages.error(`Saving ${name} failed: ${problem(error)}`);
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
            void save(service.value.trim(), baseURI.value.trim());
          },
        },
      },
      field('Service', service),
      field('Base URI', baseURI),
      h('button', { type: 'submit', class: 'primary' }, 'Save'),
    ),
    messages.el,
    table(
      'Base URIs',
      [
        { header: 'Service', cell: (u) => u.service },
        { header: 'Base URI', cell: (u) => h('code', null, u.baseURI) },
        {
          header: 'Actions',
          cell: (u) =>
            h(
              'div',
              { class: 'row-actions' },
              button(
                'Edit',
                () => {
                  service.value = u.service;
                  baseURI.value = u.baseURI;
                  baseURI.focus();
                },
                { attrs: { 'aria-label': `Edit ${u.service}` } },
              ),
              u.service === LOGIN_SERVICE
                ? null
                : button(
                    'Delete',
                    async () => {
                      if (!(await confirmAction(`Delete the base URI of ${u.service}?`, 'Delete'))) return;
                      try {
                        await ctx.api.call('DELETE', `${paths.baseUris}/${encodeURIComponent(u.service)}`, { query: q });
                        ctx.refresh();
                      } catch (error) {
                        messages.error(`Deleting ${u.service} failed: ${problem(error)}`);
                      }
                    },
                    { class: 'danger', attrs: { 'aria-label': `Delete ${u.service}` } },
                  ),
            ),
        },
      ],
      uris,
    ),
  );
}
