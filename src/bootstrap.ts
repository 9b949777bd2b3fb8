/**
 * First start: an empty store gets a demo account and an administrator with a
 * random password, printed once with a ready-to-paste curl login. A store that
 * already has accounts is never touched.
 */
import { createAccount } from './accounts/service.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { PasswordHasher } from './security/passwords.js';
import { randomBytes } from 'node:crypto';
import type { Stores } from './store/index.js';
import { createUser } from './directory/users.js';

export const DEMO_ACCOUNT_ID = '123456';
export const DEMO_ADMIN = 'admin';

export interface FirstStart {
  accountId: string;
  loginName: string;
  password: string;
}

export async function bootstrapIfEmpty(stores: Stores, clock: Clock, hasher: PasswordHasher): Promise<FirstStart | null> {
  if ((await stores.accounts.listAccounts()).length > 0) return null;
  const password = randomBytes(18).toString('base64url');
  await createAccount(stores, clock, { accountId: DEMO_ACCOUNT_ID, name: 'Demo account', timeZone: 'UTC' });
  await createUser({ stores, clock, hasher }, {
    accountId: DEMO_ACCOUNT_ID,
    loginName: DEMO_ADMIN,
    password,
    isAdmin: true,
    privileges: [100, 101],
  });
  return { accountId: DEMO_ACCOUNT_ID, loginName: DEMO_ADMIN, password };
}

export function firstStartMessage(first: FirstStart, config: Config): string {
  const scheme = config.tlsCertFile ? 'https' : 'http';
  const body = JSON.stringify({ username: first.loginName, password: first.password });
  return [
    '',
    'First start: created a demo account and an administrator (shown once, not logged):',
    `  account:  ${first.accountId}`,
    `  username: ${first.loginName}`,
    `  password: ${first.password}`,
    '',
    'Log in with:',
    `  curl -i -X POST '${scheme}://${config.publicHost}/api/account/${first.accountId}/login?v=1.3' \\`,
    `    -H 'Content-Type: application/json' -d '${body}'`,
    '',
    ...(config.console ? [`or in the web console: ${scheme}://${config.publicHost}/console/`, ''] : []),
    `Change the password with: login-service user set-password ${first.accountId} ${first.loginName} --password-stdin`,
    '',
  ].join('\n');
}

