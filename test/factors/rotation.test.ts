/**
 * Rotating MFA_ENCRYPTION_KEY on a running installation: secrets sealed under
 * the previous key keep working once the new key is listed first, are sealed
 * again under it at their next use, and then work with the new key alone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { openStores } from '../../src/store/index.js';
import { SecretBox } from '../../src/factors/secrets.js';
import { postJson, seedAccount, startTestServer } from '../helpers/server.js';
import { codeAt, setMfa } from './support.js';

describe('MFA_ENCRYPTION_KEY rotation', () => {
  test('old secrets open under "new,old", are resealed at their next use, then open under "new" alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'login-service-mfa-rotation-'));
    const stores = await openStores({ databaseUrl: `sqlite:${join(dir, 'store.db')}` });
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    try {
      const first = await startTestServer({ stores, clock, env: { MFA_ENCRYPTION_KEY: oldKey.toString('base64') } });
      const seeded = await seedAccount(first);
      await setMfa(first, seeded.accountId, 'optional');
      const base = `${first.baseUrl}/api/account/${seeded.accountId}`;
      const session = await postJson(`${base}/login`, { username: seeded.human.loginName, password: seeded.human.password });
      const started = await postJson(`${base}/mfa/totp?v=1.0`, {}, { authorization: `Bearer ${session.json.bearer}` });
      const secret: string = started.json.secret;
      assert.equal((await postJson(`${base}/mfa/totp/confirm?v=1.0`, { otp: codeAt(secret, clock.now()) }, { authorization: `Bearer ${session.json.bearer}` })).status, 200);
      await first.close();

      const loginWithCode = async (keys: Buffer[]) => {
        clock.advance(30_000);
        const server = await startTestServer({ stores, clock, env: { MFA_ENCRYPTION_KEY: keys.map((k) => k.toString('base64')).join(',') } });
        try {
          const url = `${server.baseUrl}/api/account/${seeded.accountId}/login`;
          const step = await postJson(url, { username: seeded.human.loginName, password: seeded.human.password });
          return (await postJson(url, { mfaToken: step.json.mfaToken, otp: codeAt(secret, clock.now()) })).status;
        } finally {
          await server.close();
        }
      };
      const sealed = async () => (await stores.factors.getFactors(seeded.accountId, seeded.human.user.userId)).totp!.sealedSecret;

      assert.equal(await loginWithCode([newKey]), 401, 'the new key alone cannot open an old secret');
      assert.equal(new SecretBox([newKey]).isCurrent(await sealed()), false);
      assert.equal(await loginWithCode([newKey, oldKey]), 200);
      assert.equal(new SecretBox([newKey]).isCurrent(await sealed()), true, 'sealed again under the new key');
      assert.equal(await loginWithCode([newKey]), 200, 'the old key can go');
    } finally {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
