/**
 * The authorization server's signing keys (docs/OAUTH.md, "Keys").
 *
 * Keys are made with jose at first start and kept in the store, so every
 * instance signs with the same ones: RS256 (what the original issues and what
 * every resource-server library verifies) and ES256 each have one current key.
 * A rotation adds a new current key and retires the previous one, which stays
 * in the JWKS until every token it signed has expired.
 *
 * Each instance caches the keys and reads them again every
 * `OAUTH_KEYS_REFRESH_SECONDS`, and at once when a token names a kid it does
 * not know (at most once a second, so made-up kids cannot make it hammer the
 * store): a rotation on one instance reaches the others on their own.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Clock } from '../clock.js';
import { SIGNING_ALGS, type SigningAlg, type SigningKey, type SigningKeyStore } from './model.js';

/** What `keys list` and the Domain API show of a key: never its private part. */
export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlg;
  createdAt: number;
  retiredAt: number | null;
  /** The key that signs new tokens of its alg. */
  current: boolean;
}

type KeyStores = { signingKeys: SigningKeyStore };

/** A new key pair of `alg`, its kid the RFC 7638 thumbprint of its public JWK. */
export async function newSigningKey(alg: SigningAlg, now: number): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const tagged = (jwk: JWK) => JSON.stringify({ ...jwk, kid, alg, use: 'sig' });
  return { kid, alg, privateJwk: tagged(privateJwk), publicJwk: tagged(publicJwk), createdAt: now, retiredAt: null };
}

/** Makes a new current key of `alg` and retires the previous one (`keys rotate`, the Domain API). */
export async function rotateSigningKey(stores: KeyStores, alg: SigningAlg, now: number): Promise<SigningKeyInfo> {
  const key = await newSigningKey(alg, now);
  await stores.signingKeys.addSigningKey(key);
  return { kid: key.kid, alg, createdAt: now, retiredAt: null, current: true };
}

/** Every stored key, newest first, without private parts (`keys list`). */
export async function listSigningKeys(stores: KeyStores): Promise<SigningKeyInfo[]> {
  return infoOf(await stores.signingKeys.listSigningKeys());
}

function infoOf(keys: SigningKey[]): SigningKeyInfo[] {
  const current = new Set(SIGNING_ALGS.map((alg) => currentOf(keys, alg)?.kid));
  return keys.map((k) => ({ kid: k.kid, alg: k.alg, createdAt: k.createdAt, retiredAt: k.retiredAt, current: current.has(k.kid) }));
}

/** The newest unretired key of `alg`. */
function currentOf<K extends Pick<SigningKey, 'alg' | 'retiredAt' | 'createdAt'>>(keys: K[], alg: SigningAlg): K | undefined {
  return keys.filter((k) => k.alg === alg && k.retiredAt === null).sort((a, b) => b.createdAt - a.createdAt)[0];
}

/** Adds a current key for each alg that has none (first start). Returns the algs it made keys for. */
export async function ensureSigningKeys(stores: KeyStores, now: number): Promise<SigningAlg[]> {
  const keys = await stores.signingKeys.listSigningKeys();
  const made: SigningAlg[] = [];
  for (const alg of SIGNING_ALGS) {
    if (currentOf(keys, alg)) continue;
    await stores.signingKeys.addSigningKey(await newSigningKey(alg, now));
    made.push(alg);
  }
  return made;
}

interface LoadedKey {
  kid: string;
  alg: SigningAlg;
  createdAt: number;
  retiredAt: number | null;
  publicJwk: JWK;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

const UNKNOWN_KID_RELOAD_MS = 1000;

/** The keys of this instance: cached, re-read from the store on a timer and on an unknown kid. */
export class SigningKeys {
  private loaded: LoadedKey[] | null = null;
  private loadedAt = 0;
  private loading: Promise<LoadedKey[]> | null = null;
  /** Monotonic time of the last reload caused by an unknown kid. */
  private lastUnknownKidReload = -Infinity;

  constructor(private readonly deps: { stores: KeyStores; clock: Clock; refreshMs: number }) {}

  /** The current key of `alg`, for signing; made when the store has none yet. */
  async signingKey(alg: SigningAlg): Promise<{ kid: string; key: CryptoKey }> {
    let key = currentOf(await this.keys(), alg);
    if (!key) {
      await ensureSigningKeys(this.deps.stores, this.deps.clock.now());
      key = currentOf(await this.reload(), alg);
      if (!key) throw new Error(`no ${alg} signing key`);
    }
    return { kid: key.kid, key: key.privateKey };
  }

  /** The public key of `kid`, for verifying; null when the store has no such key. */
  async verificationKey(kid: string, alg: string): Promise<CryptoKey | null> {
    let key = (await this.keys()).find((k) => k.kid === kid);
    const nowMono = performance.now();
    if (!key && nowMono - this.lastUnknownKidReload >= UNKNOWN_KID_RELOAD_MS) {
      this.lastUnknownKidReload = nowMono;
      key = (await this.reload()).find((k) => k.kid === kid);
    }
    return key && key.alg === alg ? key.publicKey : null;
  }

  /** The JWKS: public keys of the current and retired-but-kept keys (RFC 7517). */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await this.keys();
    if (!SIGNING_ALGS.every((alg) => currentOf(keys, alg))) await this.signingKey('RS256').then(() => this.signingKey('ES256'));
    return { keys: (await this.keys()).map((k) => k.publicJwk) };
  }

  /** A new current key of `alg`, used by this instance at once. */
  async rotate(alg: SigningAlg): Promise<SigningKeyInfo> {
    const info = await rotateSigningKey(this.deps.stores, alg, this.deps.clock.now());
    await this.reload();
    return info;
  }

  /** Drops the cache: the next use reads the store. */
  invalidate(): void {
    this.loaded = null;
  }

  private async keys(): Promise<LoadedKey[]> {
    if (this.loaded && this.deps.clock.now() - this.loadedAt < this.deps.refreshMs) return this.loaded;
    return this.reload();
  }

  private reload(): Promise<LoadedKey[]> {
    // Concurrent requests share one read.
    this.loading ??= this.read().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async read(): Promise<LoadedKey[]> {
    const at = this.deps.clock.now();
    const stored = await this.deps.stores.signingKeys.listSigningKeys();
    const previous = new Map((this.loaded ?? []).map((k) => [k.kid, k]));
    const keys: LoadedKey[] = [];
    for (const k of stored) {
      const known = previous.get(k.kid);
      if (known) {
        keys.push({ ...known, retiredAt: k.retiredAt });
        continue;
      }
      const publicJwk = JSON.parse(k.publicJwk) as JWK;
      keys.push({
        kid: k.kid,
        alg: k.alg,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
        publicJwk,
        privateKey: (await importJWK(JSON.parse(k.privateJwk) as JWK, k.alg)) as CryptoKey,
        publicKey: (await importJWK(publicJwk, k.alg)) as CryptoKey,
      });
    }
    this.loaded = keys;
    this.loadedAt = at;
    return keys;
  }
}
