/**
 * Enrolling an authenticator app, shared by the sign-in (an account that
 * requires a second factor) and the "My account" page: the QR code and the
 * secret to type, a field for the first code, then the recovery codes, shown
 * once.
 */
import { field, h, input, messageArea, replaceChildren } from './dom.js';
import { problem } from './pages/page.js';

export interface TotpStart {
  secret: string;
  otpauthUri: string;
  qrCode: string;
}

/** The recovery codes, as a list a person can copy. */
export function recoveryCodesView(codes: string[]): HTMLElement {
  return h(
    'div',
    { class: 'recovery-codes' },
    h('p', null, 'Recovery codes: each works once in place of a code of the app. Keep them somewhere safe; they are not shown again.'),
    h('ul', { attrs: { 'aria-label': 'Recovery codes' } }, codes.map((c) => h('li', null, h('code', null, c)))),
  );
}

/** Starts an enrolment and shows it; `confirm` sends the first code; `done` gets the recovery codes. */
export async function totpEnrolment(start: () => Promise<TotpStart>, confirm: (otp: string) => Promise<{ recoveryCodes: string[] }>, done: (codes: string[]) => Node | null): Promise<HTMLElement> {
  const started = await start();
  const messages = messageArea();
  const code = input({ name: 'otp', required: true, autocomplete: 'one-time-code', inputMode: 'numeric', attrs: { pattern: '[0-9]{6}', maxlength: '6' } });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Confirm');
  const section = h('section', { class: 'totp-enrolment' });
  const form = h(
    'form',
    {
      on: {
        submit: (event) => {
          event.preventDefault();
          submit.disabled = true;
          messages.clear();
          confirm(code.value.trim())
            .then(({ recoveryCodes }) => replaceChildren(section, h('p', { class: 'info', attrs: { role: 'status' } }, 'The authenticator app is set up.'), recoveryCodesView(recoveryCodes), done(recoveryCodes)))
            .catch((error: unknown) => {
              code.value = '';
              messages.error(`That did not work: ${problem(error)}`);
            })
            .finally(() => {
              submit.disabled = false;
            });
        },
      },
    },
    field('Code from the app', code, 'The 6 digits the app shows now'),
    submit,
    messages.el,
  );
  replaceChildren(
    section,
    h('p', null, 'Scan this QR code with an authenticator app, or type the secret into it; then enter the code it shows.'),
    h('img', { src: started.qrCode, alt: 'QR code of the authenticator app secret', class: 'qr', width: 200, height: 200 }),
    h('p', null, 'Secret: ', h('code', { class: 'totp-secret' }, started.secret)),
    form,
  );
  return section;
}
