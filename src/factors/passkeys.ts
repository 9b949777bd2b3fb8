/**
 * Passkeys (WebAuthn), through @simplewebauthn/server: registration by a
 * signed-in person, and authentication as the second step of a login. The
 * relying party is the host the browser talks to (the console's origin): its
 * name is the request's host name and its origin the request's scheme and
 * host; a phishing origin cannot pass, since the browser signs the origin it
 * is on and the authenticator the relying party a credential was made for.
 *
 * Each ceremony's challenge is kept in a single-use ticket (FactorStore).
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { AccountSettings } from '../accounts/model.js';
import { accessControlOf } from '../accounts/accessControl.js';
import type { User } from '../directory/model.js';
import { DomainError, errors } from '../errors.js';
import type { Stores } from '../store/index.js';
import type { Clock } from '../clock.js';
import type { FactorTicket } from './model.js';
import type { SecondFactors } from './service.js';
import { digestsEqual } from '../security/tokens.js';

/** Where a ceremony runs: the relying party id (host name) and the browser's origin. */
export interface RelyingParty {
  rpID: string;
  origin: string;
}

/** The transports WebAuthn names, as the library types them. */
type AuthenticatorTransportFuture = NonNullable<NonNullable<Parameters<typeof generateAuthenticationOptions>[0]['allowCredentials']>[number]['transports']>[number];

const CEREMONY_MS = 5 * 60_000;
const MAX_PASSKEYS = 20;

export class Passkeys {
  constructor(private readonly o: { stores: Stores; clock: Clock; factors: SecondFactors }) {}

  /** Options for the browser's `navigator.credentials.create`, and the ticket that finishes the registration. */
  async registrationOptions(user: User, settings: AccountSettings, rp: RelyingParty): Promise<{ ticket: string; options: unknown }> {
    if (user.isBot) throw new DomainError('conflict', 'bots log in with API keys and have no second factor');
    if (accessControlOf(settings).mfa === 'off') throw new DomainError('conflict', 'the account does not use second factors (mfa is off)');
    const existing = (await this.o.stores.factors.getFactors(user.accountId, user.userId)).passkeys;
    if (existing.length >= MAX_PASSKEYS) throw new DomainError('conflict', `at most ${MAX_PASSKEYS} passkeys per person`);
    const options = await generateRegistrationOptions({
      rpName: 'Login Service',
      rpID: rp.rpID,
      userName: user.loginName,
      userID: new TextEncoder().encode(`${user.accountId}:${user.userId}`),
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    const { token } = await this.o.factors.issueTicket('passkey_registration', user, { challenge: options.challenge, ...rp }, CEREMONY_MS);
    return { ticket: token, options };
  }

  /** Verifies the browser's answer and keeps the passkey. */
  async register(user: User, ticketToken: string, name: string, response: unknown): Promise<{ credentialId: string }> {
    const ticket = await this.o.factors.ticket('passkey_registration', user.accountId, ticketToken);
    if (!ticket || ticket.userId !== user.userId || !(await this.o.factors.takeTicket(ticket))) throw errors.badRequest('Bad request: the registration is unknown, used or expired; start again');
    const data = ticket.data as { challenge: string; rpID: string; origin: string };
    let verification;
    try {
      verification = await verifyRegistrationResponse({ response: response as RegistrationResponseJSON, expectedChallenge: data.challenge, expectedOrigin: data.origin, expectedRPID: data.rpID, requireUserVerification: false });
    } catch (error) {
      throw errors.badRequest(`Bad request: the passkey was not accepted (${error instanceof Error ? error.message.slice(0, 200) : 'invalid'})`);
    }
    if (!verification.verified || !verification.registrationInfo) throw errors.badRequest('Bad request: the passkey was not accepted');
    const { credential } = verification.registrationInfo;
    const now = this.o.clock.now();
    await this.o.stores.factors.addPasskey({
      accountId: user.accountId,
      userId: user.userId,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      name: name.trim().slice(0, 64) || 'Passkey',
      createdAt: now,
      lastUsedAt: null,
    });
    await this.o.factors.record(user, 'passkey_added', { credentialId: credential.id });
    return { credentialId: credential.id };
  }

  async remove(user: User, settings: AccountSettings, credentialId: string): Promise<void> {
    const factors = await this.o.stores.factors.getFactors(user.accountId, user.userId);
    if (!factors.passkeys.some((p) => p.credentialId === credentialId)) throw errors.notFound('Not found: no such passkey');
    const others = factors.passkeys.length - 1 + (factors.totp?.confirmed ? 1 : 0);
    if (accessControlOf(settings).mfa === 'required' && others === 0) throw new DomainError('conflict', 'the account requires a second factor; this is the last one');
    await this.o.stores.factors.deletePasskey(user.accountId, user.userId, credentialId);
    await this.o.factors.record(user, 'passkey_removed', { credentialId });
  }

  /** Options for `navigator.credentials.get`, for the login waiting on `loginTicket`. */
  async authenticationOptions(loginTicket: FactorTicket, rp: RelyingParty): Promise<{ ticket: string; options: unknown }> {
    const passkeys = (await this.o.stores.factors.getFactors(loginTicket.accountId, loginTicket.userId)).passkeys;
    if (passkeys.length === 0) throw new DomainError('conflict', 'no passkey is registered');
    const options = await generateAuthenticationOptions({
      rpID: rp.rpID,
      allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
      userVerification: 'preferred',
    });
    const user = { accountId: loginTicket.accountId, userId: loginTicket.userId } as User;
    const { token } = await this.o.factors.issueTicket('passkey_login', user, { challenge: options.challenge, login: loginTicket.tokenHash, ...rp }, CEREMONY_MS);
    return { ticket: token, options };
  }

  /** The second step by passkey: whether the browser's answer proves a passkey of the login's person. */
  async verify(loginTicket: FactorTicket, ceremonyToken: string, response: unknown): Promise<boolean> {
    const ceremony = await this.o.factors.ticket('passkey_login', loginTicket.accountId, ceremonyToken);
    const boundTo = (ceremony?.data as { login?: unknown } | undefined)?.login;
    if (!ceremony || typeof boundTo !== 'string' || !digestsEqual(boundTo, loginTicket.tokenHash) || !(await this.o.factors.takeTicket(ceremony))) return false;
    const data = ceremony.data as { challenge: string; rpID: string; origin: string };
    const id = (response as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return false;
    const passkey = await this.o.stores.factors.findPasskey(loginTicket.accountId, id);
    if (!passkey || passkey.userId !== loginTicket.userId) return false;
    try {
      const result = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: data.challenge,
        expectedOrigin: data.origin,
        expectedRPID: data.rpID,
        credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter, transports: passkey.transports as AuthenticatorTransportFuture[] },
        requireUserVerification: false,
      });
      if (!result.verified) return false;
      await this.o.stores.factors.touchPasskey(loginTicket.accountId, passkey.credentialId, result.authenticationInfo.newCounter, this.o.clock.now());
      return true;
    } catch {
      return false;
    }
  }
}
