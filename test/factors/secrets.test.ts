/** TOTP secrets at rest: sealed under the current key, opened under any listed one, bound to their person. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/factors/secrets.js';
import { loadConfig } from '../../src/config.js';

describe('SecretBox', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  test('rotation: a secret sealed under the previous key opens once the new key is listed first, and is then not current', () => {
    const sealed = new SecretBox([oldKey]).seal('JBSWY3DPEHPK3PXP', '1\n10');
    assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
    const rotated = new SecretBox([newKey, oldKey]);
    assert.equal(rotated.open(sealed, '1\n10'), 'JBSWY3DPEHPK3PXP');
    assert.equal(rotated.isCurrent(sealed), false);
    assert.equal(rotated.isCurrent(rotated.seal('x', '1\n10')), true);
    assert.equal(new SecretBox([newKey]).open(sealed, '1\n10'), null, 'the old key retired: it no longer opens');
  });

  test("a sealed secret does not open as another person's, nor when tampered with", () => {
    const box = new SecretBox([newKey]);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', '1\n10');
    assert.equal(box.open(sealed, '1\n11'), null);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('AAAAAAAAAAAAAAAA').toString('base64url');
    assert.equal(box.open(parts.join('.'), '1\n10'), null);
    assert.equal(box.open('garbage', '1\n10'), null);
  });

  test('MFA_ENCRYPTION_KEY takes "current,previous" base64 keys of 32 bytes and refuses anything else', () => {
    const keys = loadConfig({ MFA_ENCRYPTION_KEY: `${newKey.toString('base64')}, ${oldKey.toString('base64')}` }).mfaEncryptionKeys;
    assert.deepEqual(keys, [newKey, oldKey]);
    assert.deepEqual(loadConfig({}).mfaEncryptionKeys, []);
    assert.throws(() => loadConfig({ MFA_ENCRYPTION_KEY: randomBytes(16).toString('base64') }), /MFA_ENCRYPTION_KEY: key 1 must be 32 bytes/);
    assert.throws(() => loadConfig({ MFA_ENCRYPTION_KEY: `${newKey.toString('base64')},oops` }), /key 2/);
  });
});
