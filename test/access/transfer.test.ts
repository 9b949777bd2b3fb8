/**
 * Access control, key allowlists and last logins travel with an export: an
 * import into another store keeps them; a dump with a bad range is refused
 * and imports nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessControlOf } from '../../src/accounts/accessControl.js';
import { changeAccessControl } from '../../src/accounts/actions.js';
import { issueApiKey } from '../../src/directory/apiKeys.js';
import { InvalidInputError } from '../../src/errors.js';
import { openStores } from '../../src/store/index.js';
import { exportInstallation, importInstallation, type InstallationDump } from '../../src/store/transfer.js';
import { actionContext } from '../helpers/actions.js';
import { postJson, seedAccount, startTestServer } from '../helpers/server.js';

test('export and import keep access control, key allowlists and lastLoginAt; a bad range refuses the whole dump', async () => {
  const server = await startTestServer();
  const target = await openStores({ databaseUrl: 'sqlite::memory:' });
  const other = await openStores({ databaseUrl: 'sqlite::memory:' });
  try {
    const seeded = await seedAccount(server, '123456');
    const ctx = actionContext(server.stores, server.clock);
    const inside = await postJson(`${server.baseUrl}/api/account/123456/login`, { username: seeded.human.loginName, password: seeded.human.password });
    assert.equal(inside.status, 200);
    const ranges = [{ from: '10.0.0.0', to: '10.0.0.255', description: 'HQ' }, { cidr: '2001:db8::/32' }];
    await changeAccessControl({ ...ctx, hasher: server.services.hasher }, '123456', { mfa: 'required', ipRestrictions: { enabled: true, ranges }, deactivateAfterDays: 30 });
    const { key } = await issueApiKey(ctx, '123456', 'office', 'oauth1', { ipAllowlist: ['192.0.2.0/24'] });
    const login = await postJson(`${server.baseUrl}/api/account/123456/login`, { username: seeded.human.loginName, password: seeded.human.password }, { 'x-forwarded-for': '10.0.0.1' });
    assert.equal(login.status, 403, 'the server sees 127.0.0.1 (no TRUST_PROXY): outside the ranges');

    const dump = await exportInstallation(server.stores);
    await importInstallation(target, JSON.parse(JSON.stringify(dump)) as InstallationDump);
    const imported = (await target.accounts.getAccount('123456'))!;
    assert.deepEqual(accessControlOf(imported.settings), { mfa: 'required', mfaForSso: false, ipRestrictions: { enabled: true, ranges }, deactivateAfterDays: 30 });
    assert.deepEqual((await target.apiKeys.getApiKey('123456', key.appKey))!.ipAllowlist, ['192.0.2.0/24']);
    const adminBefore = (await server.stores.users.getUserByLoginName('123456', seeded.human.loginName))!;
    const adminAfter = (await target.users.getUserByLoginName('123456', seeded.human.loginName))!;
    assert.equal(typeof adminBefore.lastLoginAt, 'number');
    assert.equal(adminAfter.lastLoginAt, adminBefore.lastLoginAt);

    const bad = JSON.parse(JSON.stringify(dump)) as InstallationDump;
    (bad.accounts[0]!.settings as { accessControl: unknown }).accessControl = { ipRestrictions: { enabled: true, ranges: [{ from: '10.0.0.9', to: '10.0.0.1' }] } };
    await assert.rejects(importInstallation(other, bad), (e: Error) => e instanceof InvalidInputError && /accessControl.ipRestrictions.ranges\[0\]: from must not come after to/.test(e.message));
    assert.equal(await other.accounts.getAccount('123456'), null, 'nothing imported');
  } finally {
    await server.close();
    await target.close();
    await other.close();
  }
});
