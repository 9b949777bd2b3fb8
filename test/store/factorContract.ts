/**
 * The FactorStore part of the storage contract (second factors and their
 * tickets), run by storeContract over every backend.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Passkey } from '../../src/factors/model.js';
import type { Stores } from '../../src/store/index.js';

const hex = (bytes = 32) => randomBytes(bytes).toString('hex');
const realNow = () => Math.floor(Date.now() / 1000) * 1000;

function passkey(userId: string, createdAt: number, overrides: Partial<Passkey> = {}): Passkey {
  return {
    accountId: '1',
    userId,
    credentialId: randomBytes(16).toString('base64url'),
    publicKey: randomBytes(77).toString('base64url'),
    counter: 0,
    transports: ['internal', 'hybrid'],
    name: 'Laptop',
    createdAt,
    lastUsedAt: null,
    ...overrides,
  };
}

export function factorContract(contract: (name: string, body: (stores: Stores) => Promise<void>) => void): void {
  describe('FactorStore', () => {
    contract('a person has no factors until one is enrolled', async (stores) => {
      assert.deepEqual(await stores.factors.getFactors('1', '10'), { totp: null, recoveryCodes: [], passkeys: [] });
    });

    contract('a TOTP secret is pending until confirmed with its recovery codes, and a confirmed one is not replaced', async (stores) => {
      const t = realNow();
      assert.equal(await stores.factors.startTotp('1', '10', { sealedSecret: 'sealed-a', confirmed: false, createdAt: t }), true);
      // A second start replaces a pending secret.
      assert.equal(await stores.factors.startTotp('1', '10', { sealedSecret: 'sealed-b', confirmed: false, createdAt: t + 1 }), true);
      assert.deepEqual((await stores.factors.getFactors('1', '10')).totp, { sealedSecret: 'sealed-b', confirmed: false, createdAt: t + 1 });
      // Only the pending secret confirms.
      const codes = Array.from({ length: 10 }, () => hex());
      assert.equal(await stores.factors.confirmTotp('1', '10', 'sealed-a', codes), false);
      assert.equal(await stores.factors.confirmTotp('1', '10', 'sealed-b', codes), true);
      assert.equal(await stores.factors.confirmTotp('1', '10', 'sealed-b', codes), false, 'confirmed once');
      const f = await stores.factors.getFactors('1', '10');
      assert.deepEqual(f.totp, { sealedSecret: 'sealed-b', confirmed: true, createdAt: t + 1 });
      assert.deepEqual(f.recoveryCodes.map((c) => c.codeHash), [...codes].sort());
      assert.ok(f.recoveryCodes.every((c) => c.usedAt === null));
      assert.equal(await stores.factors.startTotp('1', '10', { sealedSecret: 'sealed-c', confirmed: false, createdAt: t + 2 }), false);
      assert.equal((await stores.factors.getFactors('1', '10')).totp?.sealedSecret, 'sealed-b');
      // Another person of the account is untouched.
      assert.equal((await stores.factors.getFactors('1', '11')).totp, null);
    });

    contract('reseals a secret under a new key only when it is still the one read', async (stores) => {
      const t = realNow();
      await stores.factors.startTotp('1', '10', { sealedSecret: 'old', confirmed: false, createdAt: t });
      await stores.factors.confirmTotp('1', '10', 'old', []);
      assert.equal(await stores.factors.resealTotp('1', '10', 'other', 'new'), false);
      assert.equal(await stores.factors.resealTotp('1', '10', 'old', 'new'), true);
      assert.deepEqual((await stores.factors.getFactors('1', '10')).totp, { sealedSecret: 'new', confirmed: true, createdAt: t });
    });

    contract('a recovery code is used once, and regenerating replaces them all', async (stores) => {
      const t = realNow();
      const codes = [hex(), hex()];
      await stores.factors.startTotp('1', '10', { sealedSecret: 's', confirmed: false, createdAt: t });
      await stores.factors.confirmTotp('1', '10', 's', codes);
      const racing = await Promise.all([stores.factors.useRecoveryCode('1', '10', codes[0]!, t), stores.factors.useRecoveryCode('1', '10', codes[0]!, t)]);
      assert.deepEqual(racing.sort(), [false, true]);
      assert.equal(await stores.factors.useRecoveryCode('1', '11', codes[1]!, t), false, "another person's code");
      assert.equal(await stores.factors.useRecoveryCode('1', '10', hex(), t), false);
      const used = (await stores.factors.getFactors('1', '10')).recoveryCodes.find((c) => c.codeHash === codes[0]);
      assert.equal(used?.usedAt, t);
      const fresh = [hex(), hex(), hex()];
      await stores.factors.replaceRecoveryCodes('1', '10', fresh);
      assert.deepEqual((await stores.factors.getFactors('1', '10')).recoveryCodes, [...fresh].sort().map((codeHash) => ({ codeHash, usedAt: null })));
      assert.equal(await stores.factors.useRecoveryCode('1', '10', codes[1]!, t), false, 'old codes are gone');
    });

    contract('removing TOTP removes its recovery codes and keeps passkeys', async (stores) => {
      const t = realNow();
      await stores.factors.startTotp('1', '10', { sealedSecret: 's', confirmed: false, createdAt: t });
      await stores.factors.confirmTotp('1', '10', 's', [hex()]);
      const p = passkey('10', t);
      await stores.factors.addPasskey(p);
      assert.equal(await stores.factors.deleteTotp('1', '10'), true);
      assert.equal(await stores.factors.deleteTotp('1', '10'), false);
      assert.deepEqual(await stores.factors.getFactors('1', '10'), { totp: null, recoveryCodes: [], passkeys: [p] });
    });

    contract('keeps passkeys: found by credential id on the account, touched after use, deleted by their owner only', async (stores) => {
      const t = realNow();
      const a = passkey('10', t);
      const b = passkey('10', t + 1, { transports: [], name: 'Phone' });
      await stores.factors.addPasskey(a);
      await stores.factors.addPasskey(b);
      await stores.factors.addPasskey(passkey('11', t));
      assert.deepEqual((await stores.factors.getFactors('1', '10')).passkeys, [a, b]);
      assert.deepEqual(await stores.factors.findPasskey('1', a.credentialId), a);
      assert.equal(await stores.factors.findPasskey('2', a.credentialId), null);
      await stores.factors.touchPasskey('1', a.credentialId, 7, t + 5);
      assert.deepEqual(await stores.factors.findPasskey('1', a.credentialId), { ...a, counter: 7, lastUsedAt: t + 5 });
      assert.equal(await stores.factors.deletePasskey('1', '11', a.credentialId), false);
      assert.equal(await stores.factors.deletePasskey('1', '10', a.credentialId), true);
      assert.deepEqual((await stores.factors.getFactors('1', '10')).passkeys, [b]);
    });

    contract('a reset removes every factor and ticket of the person, and only theirs', async (stores) => {
      const t = realNow();
      await stores.factors.startTotp('1', '10', { sealedSecret: 's', confirmed: false, createdAt: t });
      await stores.factors.confirmTotp('1', '10', 's', [hex()]);
      await stores.factors.addPasskey(passkey('10', t));
      const mine = hex();
      const theirs = hex();
      await stores.factors.putTicket({ tokenHash: mine, kind: 'login', accountId: '1', userId: '10', data: {}, expiresAt: t + 60_000 });
      await stores.factors.putTicket({ tokenHash: theirs, kind: 'login', accountId: '1', userId: '11', data: {}, expiresAt: t + 60_000 });
      await stores.factors.addPasskey(passkey('11', t));
      assert.equal(await stores.factors.deleteFactors('1', '10'), true);
      assert.deepEqual(await stores.factors.getFactors('1', '10'), { totp: null, recoveryCodes: [], passkeys: [] });
      assert.equal(await stores.factors.getTicket(mine, t), null);
      assert.notEqual(await stores.factors.getTicket(theirs, t), null);
      assert.equal((await stores.factors.getFactors('1', '11')).passkeys.length, 1);
      assert.equal(await stores.factors.deleteFactors('1', '10'), false);
      // Tickets go too, but only factors count as removed.
      await stores.factors.putTicket({ tokenHash: mine, kind: 'enrol', accountId: '1', userId: '10', data: {}, expiresAt: t + 60_000 });
      assert.equal(await stores.factors.deleteFactors('1', '10'), false);
      assert.equal(await stores.factors.getTicket(mine, t), null);
    });

    contract('tickets: read while live, taken once, swept when expired', async (stores) => {
      const t = realNow();
      const ticket = { tokenHash: hex(), kind: 'login' as const, accountId: '1', userId: '10', data: { method: 'password', amr: ['pwd'] }, expiresAt: t + 300_000 };
      await stores.factors.putTicket(ticket);
      assert.deepEqual(await stores.factors.getTicket(ticket.tokenHash, t), ticket);
      assert.equal(await stores.factors.getTicket(ticket.tokenHash, t + 300_000), null, 'expired');
      const takes = await Promise.all([stores.factors.takeTicket(ticket.tokenHash), stores.factors.takeTicket(ticket.tokenHash)]);
      assert.deepEqual(takes.sort(), [false, true]);
      assert.equal(await stores.factors.getTicket(ticket.tokenHash, t), null);
      const old = { ...ticket, tokenHash: hex(), expiresAt: t + 10 };
      const live = { ...ticket, tokenHash: hex(), kind: 'enrol' as const };
      await stores.factors.putTicket(old);
      await stores.factors.putTicket(live);
      assert.equal(await stores.factors.deleteExpiredTickets(t + 10), 1);
      assert.deepEqual(await stores.factors.getTicket(live.tokenHash, t + 10), live);
    });
  });
}
