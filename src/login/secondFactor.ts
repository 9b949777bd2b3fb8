/**
 * The after-authenticate hook of second factors: a person whose account asks
 * for a factor they have enrolled gets a challenge (answered 401 with an
 * `mfaToken`); one whose account requires a factor they have not enrolled
 * gets an enrolment challenge (`enrollToken`). Bots are exempt, and so are
 * single sign-on logins unless the account's `mfaForSso` says otherwise
 * (factors/service.ts `decide`).
 */
import { ENROL_TICKET_MS, LOGIN_TICKET_MS, type SecondFactors } from '../factors/service.js';
import type { AfterAuthenticate, LoginResult } from './model.js';

export function secondFactorHook(factors: SecondFactors): AfterAuthenticate {
  return async (login, attempt): Promise<LoginResult> => {
    const decision = await factors.decide(login.user, login.settings, login.amr);
    if (decision.type === 'none') return { type: 'user', login };
    if (decision.type === 'challenge') {
      const { token, expiresAt } = await factors.issueTicket('login', login.user, { method: attempt.method, amr: login.amr }, LOGIN_TICKET_MS);
      return { type: 'challenge', challenge: { kind: 'second_factor', token, expiresAt, factors: decision.factors } };
    }
    const { token, expiresAt } = await factors.issueTicket('enrol', login.user, {}, ENROL_TICKET_MS);
    return { type: 'challenge', challenge: { kind: 'enrolment', token, expiresAt, factors: ['totp'] } };
  };
}
