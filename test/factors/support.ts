/** Shared steps of the second-factor tests: an account's policy, codes computed as an authenticator app would. */
import { Secret, TOTP } from 'otpauth';
import { randomBytes } from 'node:crypto';
import type { AccessControl } from '../../src/accounts/accessControl.js';
import { createUser } from '../../src/directory/users.js';
import type { TestServer } from '../helpers/server.js';

export const MFA_KEY = randomBytes(32).toString('base64');

export async function setMfa(server: Pick<TestServer, 'stores'>, accountId: string, mfa: AccessControl['mfa'], mfaForSso = false): Promise<void> {
  const account = (await server.stores.accounts.getAccount(accountId))!;
  await server.stores.accounts.updateAccount(accountId, { settings: { ...account.settings, accessControl: { ...account.settings.accessControl, mfa, mfaForSso } } });
}

/** The code an authenticator app shows now (by the server's clock). */
export function codeAt(secret: string, at: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at });
}

let people = 0;
export async function newPerson(server: Pick<TestServer, 'stores' | 'services' | 'clock'>, accountId: string) {
  const loginName = `person.${++people}`;
  const password = 'a long enough passphrase 1';
  const user = await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId, loginName, password });
  return { user, loginName, password };
}
