/**
 * The allowed networks govern SSO logins too (the check sits in the login
 * flow, before any method verifies anything): a signed assertion sent from
 * outside is refused with 403 and left unused, so the person can send it
 * again from inside. Refusals count against the address (429 past its budget).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer } from '../helpers/server.js';
import { changeAccessControl } from '../../src/accounts/actions.js';
import { createUser } from '../../src/directory/users.js';
import { setSsoConfig } from '../../src/sso/admin.js';
import { actionContext } from '../helpers/actions.js';
import { assertionXml, base64, makeIdp, sign } from '../sso/idp.js';

const AUDIENCE = 'https://login.example.test/sp';

test('SSO logins only from the allowed networks; a refused assertion is not used up', async () => {
  const idp = await makeIdp();
  const server = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1' } });
  try {
    const seeded = await seedAccount(server);
    const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
    await createUser(deps, { accountId: seeded.accountId, loginName: 'alice@example.test', password: 'a long enough passphrase 1', privileges: [100] });
    await setSsoConfig(server.stores, seeded.accountId, { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: AUDIENCE });
    await changeAccessControl({ ...actionContext(server.stores, server.clock), hasher: server.services.hasher }, seeded.accountId, { ipRestrictions: { enabled: true, ranges: [{ cidr: '10.0.0.0/8' }] } });

    const assertion = base64(sign(assertionXml({ issuer: idp.issuer, audience: AUDIENCE, now: server.clock.now(), nameId: 'alice@example.test' }), idp));
    const sso = (ip: string) => postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { jwt: 'x', assertion }, { 'x-forwarded-for': ip });

    const outside = await sso('203.0.113.1');
    assert.equal(outside.status, 403, outside.text);
    assert.equal(outside.json.error.internalCode, 12);
    const [event] = await server.stores.events.listEvents(seeded.accountId, { type: 'login_failure', limit: 1 });
    assert.equal(event?.detail.reason, 'address_not_allowed');
    assert.equal(event?.detail.method, 'sso');
    assert.equal(event?.clientIp, '203.0.113.1');

    const inside = await sso('10.20.30.40');
    assert.equal(inside.status, 200, inside.text);
    assert.equal(inside.json.config.loginName, 'alice@example.test');
  } finally {
    await server.close();
  }
});

test('logins refused by address count against the address: past its budget, 429', async () => {
  const server = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1', LOGIN_FAILURES_PER_MINUTE: '3' } });
  try {
    const seeded = await seedAccount(server);
    await changeAccessControl({ ...actionContext(server.stores, server.clock), hasher: server.services.hasher }, seeded.accountId, { ipRestrictions: { enabled: true, ranges: [{ cidr: '10.0.0.0/8' }] } });
    const login = (ip: string) => postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login`, { username: seeded.human.loginName, password: seeded.human.password }, { 'x-forwarded-for': ip });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await login('203.0.113.50')).status);
    assert.deepEqual(statuses, [403, 403, 403, 429, 429]);
    assert.equal((await login('10.0.0.1')).status, 200, 'another address is not held back');
  } finally {
    await server.close();
  }
});
