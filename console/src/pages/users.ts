/**
 * Users: a searchable, paged list; create, edit, disable and enable, unlock,
 * reset a password, delete. Edits are whole replacements (`PUT` replaces the
 * user), sent with `If-Match` of the revision the list was read at, so a
 * change someone else made meanwhile is refused (412) rather than undone.
 */
import { paths, versions, type AdminApi } from '../api.js';
import { apiDate, button, confirmAction, field, formatWhen, h, input, messageArea, NONE, openDialog, replaceChildren, select, table, timeValue } from '../dom.js';
import { problem, type PageContext } from './page.js';

export interface User {
  id: string;
  loginName: string;
  fullName: string;
  nickname?: string;
  email: string;
  employeeId?: string;
  description?: string;
  mobileNumber?: string;
  isEnabled: boolean;
  isApiUser: boolean;
  allowedAppKeys?: string;
  maxChats?: number;
  skillIds?: number[];
  memberOf: { agentGroupId: number; assignmentDate: string } | null;
  managerOf?: Array<{ agentGroupId: number; assignmentDate: string }>;
  profileIds: number[];
  changePwdNextLogin?: boolean;
  deleted?: boolean;
  /** ISO 8601 while a brute-force lockout holds, else null; absent from servers that do not report it. */
  lockedUntil?: string | null;
  /** ISO 8601 of the last successful login, or null; absent from servers that do not report it. */
  lastLoginAt?: string | null;
  [field: string]: unknown;
}

interface Named {
  id: number;
  name: string;
  deleted?: boolean;
}

const PAGE_SIZE = 20;
/** Read-only fields, left out of a replacement. */
const READ_ONLY = ['id', 'pid', 'deleted', 'userTypeId', 'lastPwdChangeDate', 'dateUpdated', 'lockedUntil', 'lastLoginAt'];

const q = { v: versions.users };

/**
 * When the user's lockout ends, or null when they are not locked out (or the
 * server does not say). The server judged it by its own clock: this browser's
 * clock may differ, so it is not asked again.
 */
function lockedUntil(user: User): number | null {
  const until = timeValue(user.lockedUntil);
  return Number.isFinite(until) ? until : null;
}

/** Unlock is offered to locked users; a server that does not report lockouts leaves it to every user. */
const mayUnlock = (user: User) => !('lockedUntil' in user) || lockedUntil(user) !== null;

function status(user: User): string {
  if (!user.isEnabled) return 'disabled';
  const until = lockedUntil(user);
  return until === null ? 'enabled' : `locked until ${formatWhen(until)}`;
}

export async function usersPage(ctx: PageContext): Promise<Node> {
  const { api } = ctx;
  const [users, groups, profiles] = await Promise.all([
    api.get<User[]>(paths.users, q),
    api.get<Named[]>(paths.agentGroups, { v: versions.agentGroups }).catch(() => ({ body: [] as Named[], revision: null })),
    api.get<Named[]>(paths.profiles, { v: versions.profiles }).catch(() => ({ body: [] as Named[], revision: null })),
  ]);
  const revision = users.revision;
  const all = [...users.body].sort((a, b) => a.loginName.localeCompare(b.loginName));
  const messages = messageArea();
  const list = h('div', { class: 'list' });
  let page = 0;

  const search = input({ type: 'search', name: 'search', placeholder: 'login name, name or email' });
  search.addEventListener('input', () => {
    page = 0;
    render();
  });

  /** Runs an action; `done` says what happened, from the server's answer when it tells more than success. */
  const act = <T>(label: string, run: () => Promise<T>, done: string | ((result: T) => string)) => async () => {
    messages.clear();
    try {
      const result = await run();
      ctx.refresh(typeof done === 'string' ? done : done(result));
    } catch (error) {
      messages.error(`${label} failed: ${problem(error)}`);
    }
  };

  function render(): void {
    const term = search.value.trim().toLowerCase();
    const found = term
      ? all.filter((u) => [u.loginName, u.fullName, u.email].some((v) => typeof v === 'string' && v.toLowerCase().includes(term)))
      : all;
    const pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    const shown = found.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    const groupName = (id: number | undefined) => groups.body.find((g) => g.id === id)?.name ?? (id === undefined ? '' : String(id));
    const profileNames = (ids: number[]) => ids.map((id) => profiles.body.find((p) => p.id === id)?.name ?? String(id)).join(', ');
    const previous = button('Previous page', () => {
      page -= 1;
      render();
    });
    previous.disabled = page === 0;
    const next = button('Next page', () => {
      page += 1;
      render();
    });
    next.disabled = page >= pages - 1;
    replaceChildren(
      list,
      table(
        'Users',
        [
          { header: 'Login name', cell: (u) => u.loginName },
          { header: 'Full name', cell: (u) => u.fullName },
          { header: 'Kind', cell: (u) => (u.isApiUser ? 'bot' : 'person') },
          { header: 'Group', cell: (u) => groupName(u.memberOf?.agentGroupId) },
          { header: 'Profiles', cell: (u) => profileNames(u.profileIds ?? []) },
          { header: 'Status', cell: status },
          { header: 'Last login', cell: (u) => (u.lastLoginAt ? formatWhen(u.lastLoginAt) : NONE) },
          {
            header: 'Actions',
            cell: (u) =>
              h(
                'div',
                { class: 'row-actions' },
                button('Edit', () => editUser(ctx, u, revision, groups.body, profiles.body), { attrs: { 'aria-label': `Edit ${u.loginName}` } }),
                button(
                  u.isEnabled ? 'Disable' : 'Enable',
                  async () => {
                    const action = `${u.isEnabled ? 'Disable' : 'Enable'} ${u.loginName}`;
                    const question = u.isEnabled
                      ? `Disable ${u.loginName}? Their sessions end and they cannot log in until enabled again.`
                      : `Enable ${u.loginName}? They can log in again.`;
                    if (!(await confirmAction(question, action, 'Confirm'))) return;
                    await act(u.isEnabled ? 'Disabling' : 'Enabling', () => replaceUser(api, u, { isEnabled: !u.isEnabled }, revision), `${u.loginName} is now ${u.isEnabled ? 'disabled' : 'enabled'}.`)();
                  },
                  { attrs: { 'aria-label': `${u.isEnabled ? 'Disable' : 'Enable'} ${u.loginName}` } },
                ),
                mayUnlock(u)
                  ? button('Unlock', act('Unlocking', () => unlockUser(api, u), (r) => (r.wasLocked ? `${u.loginName} is unlocked.` : `${u.loginName} was not locked.`)), {
                      attrs: { 'aria-label': `Unlock ${u.loginName}` },
                    })
                  : null,
                u.isApiUser ? null : button('Reset password', () => resetPassword(ctx, u), { attrs: { 'aria-label': `Reset the password of ${u.loginName}` } }),
                u.isApiUser
                  ? null
                  : button(
                      'Reset MFA',
                      async () => {
                        const question = `Remove the second factors of ${u.loginName} (authenticator app, recovery codes)? Where the account requires one, they set one up again at their next sign-in.`;
                        if (!(await confirmAction(question, `Reset MFA of ${u.loginName}`, 'Reset MFA'))) return;
                        await act('Resetting MFA', () => resetMfa(api, u), (r) => (r.removed ? `The second factors of ${u.loginName} are removed.` : `${u.loginName} had no second factor.`))();
                      },
                      { attrs: { 'aria-label': `Reset MFA of ${u.loginName}` } },
                    ),
                button(
                  'Delete',
                  async () => {
                    if (!(await confirmAction(`Delete ${u.loginName}? Their sessions end and they can no longer log in.`, 'Delete'))) return;
                    await act('Deleting', () => api.call('DELETE', `${paths.users}/${u.id}`, { query: q, ifMatch: revision }), `${u.loginName} is deleted.`)();
                  },
                  { class: 'danger', attrs: { 'aria-label': `Delete ${u.loginName}` } },
                ),
              ),
          },
        ],
        shown,
        term ? 'No user matches.' : 'No users yet.',
      ),
      h('div', { class: 'pager' }, previous, h('span', null, `Page ${page + 1} of ${pages} · ${found.length} users`), next),
    );
  }
  render();

  return h(
    'div',
    null,
    h(
      'div',
      { class: 'toolbar' },
      button('New user', () => newUser(ctx, groups.body, profiles.body), { class: 'primary' }),
      field('Search', search),
    ),
    messages.el,
    list,
  );
}

/** Reset MFA: the user's second factors are removed. */
async function resetMfa(api: AdminApi, user: User): Promise<{ removed: boolean }> {
  const { body } = await api.call<{ removed?: boolean }>('PUT', `${paths.users}/${user.id}/resetMfa`, { query: q, body: {} });
  return { removed: body?.removed === true };
}

/** Lifts a brute-force lockout: the user's failed logins are forgotten. The server says whether there was one. */
async function unlockUser(api: AdminApi, user: User): Promise<{ wasLocked: boolean }> {
  const { body } = await api.call<{ wasLocked?: boolean }>('PUT', `${paths.users}/${user.id}/unlock`, { query: q, body: {} });
  // A server that does not say is taken at its word that the lockout is lifted.
  return { wasLocked: body?.wasLocked !== false };
}

/** Sends the whole user with `changes` applied: a replacement leaves out only what the server owns. */
function replaceUser(api: AdminApi, user: User, changes: Partial<User>, revision: string | null) {
  const body: Record<string, unknown> = { ...user, ...changes };
  for (const name of READ_ONLY) delete body[name];
  return api.call<User>('PUT', `${paths.users}/${user.id}`, { query: q, body, ifMatch: revision });
}

function groupOptions(groups: Named[]) {
  return groups.filter((g) => !g.deleted).map((g) => ({ value: String(g.id), label: g.name }));
}

function profileOptions(profiles: Named[]) {
  return profiles.map((p) => ({ value: String(p.id), label: p.name }));
}

function newUser(ctx: PageContext, groups: Named[], profiles: Named[]): void {
  const loginName = input({ name: 'loginName', required: true, autocomplete: 'off' });
  const fullName = input({ name: 'fullName', autocomplete: 'off' });
  const email = input({ name: 'email', type: 'email', autocomplete: 'off' });
  const password = input({ name: 'password', type: 'password', required: true, autocomplete: 'new-password' });
  const bot = input({ name: 'isApiUser', type: 'checkbox' });
  const appKey = input({ name: 'allowedAppKeys', autocomplete: 'off' });
  const group = select(groupOptions(groups), '-1', { name: 'group' });
  const agentProfile = profiles.find((p) => p.name === 'Agent') ?? profiles[0];
  const profile = select(profileOptions(profiles), agentProfile ? String(agentProfile.id) : undefined, { name: 'profile' });
  const messages = messageArea();
  const passwordField = field('Password', password);
  const appKeyField = field('App key', appKey, 'the API key this bot logs in with');
  appKeyField.hidden = true;
  bot.addEventListener('change', () => {
    passwordField.hidden = bot.checked;
    password.required = !bot.checked;
    appKeyField.hidden = !bot.checked;
    appKey.required = bot.checked;
  });
  openDialog('New user', (close) =>
    h(
      'form',
      {
        on: {
          submit: async (event) => {
            event.preventDefault();
            messages.clear();
            const body: Record<string, unknown> = {
              loginName: loginName.value.trim(),
              fullName: fullName.value.trim(),
              email: email.value.trim(),
              profileIds: profile.value ? [Number(profile.value)] : [],
              memberOf: { agentGroupId: Number(group.value || -1), assignmentDate: apiDate() },
            };
            if (bot.checked) Object.assign(body, { isApiUser: true, allowedAppKeys: appKey.value.trim() });
            else body.password = password.value;
            try {
              await ctx.api.call('POST', paths.users, { query: q, body });
              close();
              ctx.refresh(`${body.loginName} is created.`);
            } catch (error) {
              messages.error(problem(error));
            }
          },
        },
      },
      field('Login name', loginName),
      field('Full name', fullName),
      field('Email', email),
      field('Bot (logs in with an API key)', bot),
      passwordField,
      appKeyField,
      field('Agent group', group),
      field('Profile', profile),
      messages.el,
      h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, 'Create')),
    ),
  );
  loginName.focus();
}

function editUser(ctx: PageContext, user: User, revision: string | null, groups: Named[], profiles: Named[]): void {
  const fullName = input({ name: 'fullName', value: user.fullName ?? '' });
  const nickname = input({ name: 'nickname', value: user.nickname ?? '' });
  const email = input({ name: 'email', type: 'email', value: user.email ?? '' });
  const employeeId = input({ name: 'employeeId', value: user.employeeId ?? '' });
  const description = input({ name: 'description', value: user.description ?? '' });
  const group = select(groupOptions(groups), String(user.memberOf?.agentGroupId ?? -1), { name: 'group' });
  const profile = h('select', { name: 'profiles', multiple: true }, profileOptions(profiles).map((o) => h('option', { value: o.value, selected: (user.profileIds ?? []).includes(Number(o.value)) }, o.label)));
  const enabled = input({ name: 'isEnabled', type: 'checkbox', checked: user.isEnabled });
  const changePassword = input({ name: 'changePwdNextLogin', type: 'checkbox', checked: user.changePwdNextLogin === true });
  const messages = messageArea();
  openDialog(`Edit ${user.loginName}`, (close) =>
    h(
      'form',
      {
        on: {
          submit: async (event) => {
            event.preventDefault();
            messages.clear();
            const groupId = Number(group.value || -1);
            const changes: Partial<User> = {
              fullName: fullName.value.trim(),
              nickname: nickname.value.trim(),
              email: email.value.trim(),
              employeeId: employeeId.value.trim(),
              description: description.value.trim(),
              isEnabled: enabled.checked,
              profileIds: [...profile.selectedOptions].map((o) => Number(o.value)),
              memberOf: groupId === user.memberOf?.agentGroupId ? user.memberOf : { agentGroupId: groupId, assignmentDate: apiDate() },
            };
            if (!user.isApiUser) changes.changePwdNextLogin = changePassword.checked;
            try {
              await replaceUser(ctx.api, user, changes, revision);
              close();
              ctx.refresh(`${user.loginName} is saved.`);
            } catch (error) {
              messages.error(problem(error));
            }
          },
        },
      },
      field('Full name', fullName),
      field('Nickname', nickname),
      field('Email', email),
      field('Employee id', employeeId),
      field('Description', description),
      field('Agent group', group),
      field('Profiles', profile),
      field('Enabled', enabled),
      user.isApiUser ? null : field('Must change password at next login', changePassword),
      messages.el,
      h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, 'Save')),
    ),
  );
  fullName.focus();
}

function resetPassword(ctx: PageContext, user: User): void {
  const password = input({ name: 'newPassword', type: 'password', required: true, autocomplete: 'new-password' });
  const messages = messageArea();
  openDialog(`Reset the password of ${user.loginName}`, (close) =>
    h(
      'form',
      {
        on: {
          submit: async (event) => {
            event.preventDefault();
            messages.clear();
            try {
              await ctx.api.call('PUT', `${paths.users}/${user.id}/resetPassword`, { query: q, body: { newPassword: password.value } });
              close();
              // A new password is a change to the user: read the list (and its revision) again.
              ctx.refresh(`The password of ${user.loginName} is changed; their sessions have ended.`);
            } catch (error) {
              messages.error(problem(error));
            }
          },
        },
      },
      h('p', null, 'The password policy applies. The user\'s sessions end.'),
      field('New password', password),
      messages.el,
      h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, 'Reset password')),
    ),
  );
  password.focus();
}
