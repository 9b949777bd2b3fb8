/**
 * Access control (configuration/access-control): the second factor, the
 * allowed networks with an editor of their ranges, and the deactivation of
 * inactive people. Saved whole, as the API replaces it. When the server
 * answers 409 (the administrator's own address would be outside every
 * range), the page says so and offers to save anyway, which resends with
 * force=true.
 */
import { ApiError, paths, versions } from '../api.js';
import { button, confirmAction, field, h, input, messageArea, select } from '../dom.js';
import { problem, type PageContext } from './page.js';

type Range = { from?: string; to?: string; cidr?: string; description?: string };
interface AccessControl {
  mfa: 'off' | 'optional' | 'required';
  mfaForSso: boolean;
  ipRestrictions: { enabled: boolean; ranges: Range[] };
  deactivateAfterDays: number;
}

const q = { v: versions.own };

/** A range as typed in one box: `FROM-TO`, a CIDR block, or one address. */
function rangeOf(text: string, description: string): Range {
  const t = text.trim();
  const described = description.trim() ? { description: description.trim() } : {};
  if (t.includes('/')) return { cidr: t, ...described };
  const dash = t.indexOf('-');
  if (dash >= 0) return { from: t.slice(0, dash).trim(), to: t.slice(dash + 1).trim(), ...described };
  return { from: t, to: t, ...described };
}

const rangeText = (r: Range): string => (r.cidr !== undefined ? r.cidr : r.from === r.to ? (r.from ?? '') : `${r.from ?? ''}-${r.to ?? ''}`);

export async function accessControlPage(ctx: PageContext): Promise<Node> {
  const { body: current } = await ctx.api.get<AccessControl>(paths.accessControl, q);
  const messages = messageArea();

  const mfa = select(
    [
      { value: 'off', label: 'Off' },
      { value: 'optional', label: 'Optional: people may enrol' },
      { value: 'required', label: 'Required of every person (bots exempt)' },
    ],
    current.mfa,
    { name: 'mfa' },
  );
  const mfaForSso = input({ type: 'checkbox', name: 'mfaForSso', checked: current.mfaForSso });
  const restricted = input({ type: 'checkbox', name: 'ipRestrictionsEnabled', checked: current.ipRestrictions.enabled });
  const days = input({ type: 'number', name: 'deactivateAfterDays', min: '0', max: '3650', step: '1', value: String(current.deactivateAfterDays) });

  // The ranges editor: one row per range, a range box and a description box each.
  const rows = h('tbody');
  const addRow = (range?: Range) => {
    const n = rows.children.length + 1;
    const text = input({ name: 'range', value: range ? rangeText(range) : '', placeholder: '10.0.0.0-10.0.0.255 or 2001:db8::/32', attrs: { 'aria-label': `Range ${n}` } });
    const description = input({ name: 'description', value: range?.description ?? '', maxLength: 256, attrs: { 'aria-label': `Description of range ${n}` } });
    const row: HTMLTableRowElement = h('tr', null, h('td', null, text), h('td', null, description), h('td', null, button('Remove', () => row.remove(), { attrs: { 'aria-label': `Remove range ${n}` } })));
    rows.append(row);
    return text;
  };
  for (const range of current.ipRestrictions.ranges) addRow(range);

  const value = (): AccessControl => ({
    mfa: mfa.value as AccessControl['mfa'],
    mfaForSso: mfaForSso.checked,
    ipRestrictions: {
      enabled: restricted.checked,
      ranges: [...rows.querySelectorAll('tr')]
        .map((tr) => {
          const [text, description] = [...tr.querySelectorAll('input')];
          return { text: text!.value, description: description!.value };
        })
        .filter((r) => r.text.trim() !== '')
        .map((r) => rangeOf(r.text, r.description)),
    },
    deactivateAfterDays: Number(days.value || '0'),
  });

  const save = async (force: boolean): Promise<void> => {
    messages.clear();
    const body = value();
    try {
      await ctx.api.call('PUT', paths.accessControl, { query: { ...q, ...(force && { force: 'true' }) }, body });
      ctx.refresh('Access control saved.');
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && !force) {
        messages.error(problem(error));
        if (await confirmAction(`${problem(error)}`, 'Save anyway?', 'Save anyway')) await save(true);
        return;
      }
      messages.error(`Saving failed: ${problem(error)}`);
    }
  };

  return h(
    'form',
    {
      class: 'settings',
      on: {
        submit: (event) => {
          event.preventDefault();
          void save(false);
        },
      },
    },
    h(
      'fieldset',
      null,
      h('legend', null, 'Multi-factor authentication'),
      field('Second factor', mfa, 'An authenticator app (TOTP) or a passkey besides the password.'),
      field('Also for single sign-on logins', mfaForSso, 'When required: also ask people who log in through the identity provider.'),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Allowed networks'),
      field('Only from the allowed networks', restricted, "People's logins and refreshes from other addresses are refused; bots are governed by their keys' allowlists."),
      h('table', { class: 'ranges' }, h('caption', null, 'Ranges'), h('thead', null, h('tr', null, h('th', null, 'Range'), h('th', null, 'Description'), h('th', null, ''))), rows),
      button('Add range', () => addRow().focus()),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Inactive people'),
      field('Disable after days without a login', days, '0 = never. Bots are exempt; an administrator enables a person again.'),
    ),
    messages.el,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save access control')),
  );
}
