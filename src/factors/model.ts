/**
 * Second factors: what the service keeps of a person's TOTP secret, recovery
 * codes and passkeys, and of the short-lived tickets of the second step
 * (`FactorTicket`: an `mfaToken`, an `enrollToken`, a WebAuthn challenge).
 *
 * Nothing secret is stored in the clear: the TOTP secret is encrypted
 * (factors/secrets.ts), recovery codes and tickets appear only as SHA-256
 * digests (security/tokens.ts `hashToken`). A passkey's public key is not
 * secret. Times are milliseconds since the epoch, as everywhere.
 *
 * Factors live in SQL only (both SQL backends); with Redis configured they
 * stay in SQL, shared by every instance like the users they belong to.
 */

/** A TOTP secret, encrypted; `confirmed` once the person proved they hold it (the factor is active only then). */
export interface TotpFactor {
  /** The encrypted secret (factors/secrets.ts's sealed form), never the base32 text. */
  sealedSecret: string;
  confirmed: boolean;
  createdAt: number;
}

export interface RecoveryCode {
  codeHash: string;
  /** When it was spent; null while unused. */
  usedAt: number | null;
}

/** A WebAuthn credential (passkey) registered by a person. */
export interface Passkey {
  accountId: string;
  userId: string;
  /** The credential id, base64url, as the authenticator gave it. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen (0 for authenticators that keep none). */
  counter: number;
  transports: string[];
  /** What the person called it ("Laptop"). */
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** Everything a person has enrolled. */
export interface UserFactors {
  totp: TotpFactor | null;
  recoveryCodes: RecoveryCode[];
  passkeys: Passkey[];
}

export const NO_FACTORS: UserFactors = { totp: null, recoveryCodes: [], passkeys: [] };

/** Whether the person has a factor that can be asked for at login. */
export const hasActiveFactor = (f: UserFactors): boolean => (f.totp?.confirmed ?? false) || f.passkeys.length > 0;

export type FactorTicketKind =
  /** A login past its first step, waiting for a code (the `mfaToken`). */
  | 'login'
  /** A login past its first step, whose person must enrol first (the `enrollToken`). */
  | 'enrol'
  /** A WebAuthn registration ceremony under way. */
  | 'passkey_registration'
  /** A WebAuthn authentication ceremony under way (the second step of a login by passkey). */
  | 'passkey_login';

/**
 * A short-lived ticket, stored by the digest of its token, single use: it is
 * taken (deleted) by the step that finishes it.
 */
export interface FactorTicket {
  tokenHash: string;
  kind: FactorTicketKind;
  accountId: string;
  userId: string;
  /** What the ticket carries: for logins, the first method's name and amr; for WebAuthn, the challenge. */
  data: Record<string, unknown>;
  expiresAt: number;
}

export interface FactorStore {
  getFactors(accountId: string, userId: string): Promise<UserFactors>;
  /** Puts a new, unconfirmed TOTP secret in place of any unconfirmed one; false (nothing written) when a confirmed one exists. */
  startTotp(accountId: string, userId: string, totp: TotpFactor): Promise<boolean>;
  /**
   * Confirms the unconfirmed secret `sealedSecret` and puts these recovery
   * codes in place of any others, in one step; false when that secret is not
   * the pending one (confirmed meanwhile, replaced, or removed).
   */
  confirmTotp(accountId: string, userId: string, sealedSecret: string, recoveryCodeHashes: string[]): Promise<boolean>;
  /** Writes the secret again (sealed under a newer key), keeping its state; false when it is gone. */
  resealTotp(accountId: string, userId: string, oldSealed: string, newSealed: string): Promise<boolean>;
  /** Removes the TOTP secret and the recovery codes; false when there was no secret. */
  deleteTotp(accountId: string, userId: string): Promise<boolean>;
  replaceRecoveryCodes(accountId: string, userId: string, codeHashes: string[]): Promise<void>;
  /** Marks an unused code as used; false when it does not exist or was used (so two racing uses: one wins). */
  useRecoveryCode(accountId: string, userId: string, codeHash: string, now: number): Promise<boolean>;

  addPasskey(passkey: Passkey): Promise<void>;
  /** The passkey with this credential id on the account, whoever it belongs to. */
  findPasskey(accountId: string, credentialId: string): Promise<Passkey | null>;
  /** After an authentication: the new counter and when. */
  touchPasskey(accountId: string, credentialId: string, counter: number, now: number): Promise<void>;
  deletePasskey(accountId: string, userId: string, credentialId: string): Promise<boolean>;

  /** Everything of the person: TOTP, recovery codes, passkeys and tickets (Reset MFA). True when a factor was removed. */
  deleteFactors(accountId: string, userId: string): Promise<boolean>;

  putTicket(ticket: FactorTicket): Promise<void>;
  /** A live ticket (expiresAt > now), or null. */
  getTicket(tokenHash: string, now: number): Promise<FactorTicket | null>;
  /** Deletes the ticket; true for the one caller that deleted it (single use). */
  takeTicket(tokenHash: string): Promise<boolean>;
  /** Housekeeping: removes tickets whose time is over; how many. */
  deleteExpiredTickets(now: number): Promise<number>;
}
