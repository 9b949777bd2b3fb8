/**
 * My account: the signed-in person's own second factors. Set up or remove an
 * authenticator app, and get new recovery codes (both with a current code).
 * Never shows a secret except while setting one up.
 */
import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { button, confirmAction, field, formatTime, h, input, messageArea, openDialog, replaceChildren, table } from '../dom.js';
import { recoveryCodesView, totpEnrolment, type TotpStart } from '../totp.js';
import { problem, type PageContext } from './page.js';

interface FactorStatus {
  totp: 'none' | 'pending' | 'active';
  recoveryCodesLeft: number;
  passkeys: Array<{ credentialId: string; name: string; createdAt: number; lastUsedAt: number | null }>;
  policy: 'off' | 'optional' | 'required';
}

/** Asks for a current code in a dialog, then runs `action` with it. */
function withCode(title: string, submitLabel: string, action: (otp: string) => Promise<void>): void {
  openDialog(title, (close) => {
    const messages = messageArea();
    const code = input({ name: 'otp', required: true, autocomplete: 'one-time-code', inputMode: 'numeric' });
    return h(
      'form',
      {
        on: {
          submit: (event) => {
            event.preventDefault();
            action(code.value.trim()).then(close, (error: unknown) => messages.error(problem(error)));
          },
        },
      },
      field('Code from the app', code),
      messages.el,
      h('div', { class: 'actions' }, button('Cancel', close), h('button', { type: 'submit', class: 'primary' }, submitLabel)),
    );
  });
}

export async function accountPage(ctx: PageContext): Promise<Node> {
  const { api } = ctx;
  const status = await api.own<FactorStatus>('GET', 'mfa');
  const messages = messageArea();
  const area = h('div');
  const who = ctx.session.signedIn!;

  const appState = status.totp === 'active' ? 'set up' : 'not set up';
  const policy =
    status.policy === 'off'
      ? 'This account does not use second factors.'
      : status.policy === 'required'
        ? 'This account requires a second factor at sign-in.'
        : 'This account lets people add a second factor.';

  const actions: Node[] = [];
  if (status.policy !== 'off' && status.totp !== 'active') {
    actions.push(
      button('Set up an authenticator app', () => {
        totpEnrolment(
          () => api.own<TotpStart>('POST', 'mfa/totp', {}),
          (otp) => api.own<{ recoveryCodes: string[] }>('POST', 'mfa/totp/confirm', { otp }),
          () => button('Done', () => ctx.refresh('The authenticator app is set up.'), { class: 'primary' }),
        ).then(
          (section) => replaceChildren(area, section),
          (error: unknown) => messages.error(problem(error)),
        );
      }, { class: 'primary' }),
    );
  }
  if (status.totp === 'active') {
    actions.push(
      button('New recovery codes', () =>
        withCode('New recovery codes', 'Replace the codes', async (otp) => {
          const { recoveryCodes } = await api.own<{ recoveryCodes: string[] }>('POST', 'mfa/recovery-codes', { otp });
          replaceChildren(area, recoveryCodesView(recoveryCodes));
          messages.info('New recovery codes: the old ones no longer work.');
        }),
      ),
    );
    if (status.policy !== 'required') {
      actions.push(
        button(
          'Remove the authenticator app',
          () =>
            withCode('Remove the authenticator app', 'Remove', async (otp) => {
              await api.own('DELETE', 'mfa/totp', { otp });
              ctx.refresh('The authenticator app is removed.');
            }),
          { class: 'danger' },
        ),
      );
    }
  }

  const passkeyName = input({ name: 'passkey-name', value: 'Passkey', attrs: { maxlength: '64' } });
  const addPasskey = button('Add a passkey', () => {
    messages.clear();
    api
      .own<{ ticket: string; options: PublicKeyCredentialCreationOptionsJSON }>('POST', 'mfa/passkeys/options', {})
      .then(async ({ ticket, options }) => api.own('POST', 'mfa/passkeys', { ticket, name: passkeyName.value.trim(), response: await startRegistration({ optionsJSON: options }) }))
      .then(
        () => ctx.refresh('The passkey is added.'),
        (error: unknown) => messages.error(`The passkey was not added: ${problem(error)}`),
      );
  });
  const passkeySection =
    status.policy === 'off'
      ? null
      : [
          h('h2', null, 'Passkeys'),
          table(
            'Passkeys',
            [
              { header: 'Name', cell: (p) => p.name },
              { header: 'Added', cell: (p) => formatTime(p.createdAt) },
              { header: 'Last used', cell: (p) => (p.lastUsedAt ? formatTime(p.lastUsedAt) : '—') },
              {
                header: 'Actions',
                cell: (p) =>
                  button(
                    'Remove',
                    async () => {
                      if (!(await confirmAction(`Remove the passkey ${p.name}?`, 'Remove passkey', 'Remove'))) return;
                      api.own('DELETE', `mfa/passkeys/${encodeURIComponent(p.credentialId)}`).then(
                        () => ctx.refresh('The passkey is removed.'),
                        (error: unknown) => messages.error(problem(error)),
                      );
                    },
                    { class: 'danger', attrs: { 'aria-label': `Remove the passkey ${p.name}` } },
                  ),
              },
            ],
            status.passkeys,
            'No passkey yet.',
          ),
          h('div', { class: 'toolbar' }, field('Name of the new passkey', passkeyName), addPasskey),
        ];

  return h(
    'div',
    null,
    h('p', null, `${who.loginName} · account ${who.accountId}`),
    h('h2', null, 'Two-step sign-in'),
    h('p', null, policy),
    h('dl', { class: 'facts' }, h('dt', null, 'Authenticator app'), h('dd', { attrs: { 'data-testid': 'totp-state' } }, appState), status.totp === 'active' ? [h('dt', null, 'Recovery codes left'), h('dd', null, status.recoveryCodesLeft)] : null),
    h('div', { class: 'toolbar' }, actions),
    passkeySection,
    messages.el,
    area,
  );
}
