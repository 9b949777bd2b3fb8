/**
 * TOTP secrets at rest: AES-256-GCM (node:crypto) under keys from the
 * configuration (MFA_ENCRYPTION_KEY, "current,previous,…"). A sealed secret
 * names the key that sealed it by a short fingerprint, so rotation is: put
 * the new key first, keep the old ones after it; secrets sealed under an old
 * key still open, and are sealed again under the current key the next time
 * they are used (factors/service.ts). Without a key, nothing is derived from
 * anything else: enrolment is refused.
 *
 * Sealed form: `v1.<key fingerprint>.<iv>.<tag>.<ciphertext>` (base64url).
 * The account and user ids are the additional data, so a sealed secret
 * copied onto another person's row does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const fingerprint = (key: Buffer) => createHash('sha256').update(key).digest('base64url').slice(0, 8);

export class SecretBox {
  private readonly keys: Array<{ id: string; key: Buffer }>;

  constructor(keys: readonly Buffer[]) {
    for (const key of keys) if (key.length !== 32) throw new Error('encryption keys must be 32 bytes');
    this.keys = keys.map((key) => ({ id: fingerprint(key), key }));
  }

  /** Whether a key is configured: without one, nothing can be sealed. */
  get available(): boolean {
    return this.keys.length > 0;
  }

  seal(plaintext: string, context: string): string {
    const current = this.keys[0];
    if (!current) throw new Error('no encryption key configured');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** The plaintext, or null when no configured key opens it (removed key, tampering, another person's row). */
  open(sealed: string, context: string): string | null {
    const [version, id, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || tag === undefined || ciphertext === undefined) return null;
    const entry = this.keys.find((k) => k.id === id);
    if (!entry) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }

  /** Whether the current key sealed it (otherwise it is sealed again when next used). */
  isCurrent(sealed: string): boolean {
    return sealed.split('.')[1] === this.keys[0]?.id;
  }
}
