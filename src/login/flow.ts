/**
 * The login flow: picks the registered method a body belongs to, runs it as
 * one attempt of the runner, lets the after-authenticate hooks turn the
 * verified user into a challenge (a second step, such as a one-time code),
 * and otherwise opens the session and builds the login response.
 *
 * Methods are asked in order; the first that claims a body reads it, and
 * refuses the fields of other methods with 400. A body no method claims is
 * refused with the 400 that names what a login needs.
 */
import type { ServiceBaseURI } from '../accounts/model.js';
import type { AgentGroup } from '../directory/model.js';
import { serviceBaseURIs } from '../accounts/service.js';
import { errors } from '../errors.js';
import type { ClientInfo, SessionCore, SessionTokens } from '../sessions/core.js';
import type { SessionRecord } from '../sessions/model.js';
import type { Stores } from '../store/index.js';
import { zoneOffsetMs } from '../timezones.js';
import type { AfterAuthenticate, LoginBody, LoginChallenge, LoginMethod, LoginResult, VerifiedLogin } from './model.js';
import { usernameRequired } from './methods/password.js';
import type { AttemptRunner } from './runner.js';
// The wire types belong to the client package; type-only, so nothing of it is loaded at run time.
import type { LoginResponse } from '@login-service/client/protocol';

export interface LoginFlowOptions {
  stores: Stores;
  runner: AttemptRunner;
  sessions: SessionCore;
  methods: LoginMethod<any>[];
  /** Run in order after a method verified a user; the first challenge ends the list. */
  afterAuthenticate?: AfterAuthenticate[];
  publicHost: string;
  serverTimeZone: string;
}

export type LoginOutcome = { type: 'session'; response: LoginResponse } | { type: 'challenge'; challenge: LoginChallenge };

export class LoginFlow {
  private readonly hooks: AfterAuthenticate[];

  constructor(private readonly o: LoginFlowOptions) {
    this.hooks = o.afterAuthenticate ?? [];
  }

  /** The method a body belongs to; 400 when none or a malformed one. */
  methodFor(body: LoginBody): { method: LoginMethod<any>; credentials: unknown } {
    const method = this.o.methods.find((m) => m.claims(body));
    if (!method) {
      if (body.mfaToken !== undefined) throw errors.badRequest('Bad request: mfaToken needs otp or recoveryCode');
      if (body.username === undefined) throw usernameRequired();
      throw errors.badRequest('Bad request: password or appKey, secret, accessToken and accessTokenSecret are required');
    }
    return { method, credentials: method.read(body) };
  }

  async login(accountId: string, body: LoginBody, client: ClientInfo): Promise<LoginOutcome> {
    const { method, credentials } = this.methodFor(body);
    const dummyWork = method.dummyWork ? () => method.dummyWork!(credentials) : undefined;
    return this.o.runner.run(
      accountId,
      client,
      method.name,
      async (attempt): Promise<LoginOutcome> => {
        // People's logins, whatever the method, only from the account's allowed networks (bots: their keys' allowlists).
        if (!method.forBots) await attempt.assertNetworkAllowed(body.username ?? null);
        let result: LoginResult = { type: 'user', login: await method.authenticate(attempt, credentials) };
        for (const hook of this.hooks) {
          result = await hook(result.login, attempt);
          // The attempt neither failed nor succeeded yet: its end gives the counts back until the second step.
          if (result.type === 'challenge') return result;
        }
        const { login } = result;
        await attempt.succeeded(login.user);
        return { type: 'session', response: await this.open(login, client, attempt.now, method.name) };
      },
      dummyWork,
    );
  }

  private async open(login: VerifiedLogin, client: ClientInfo, now: number, method: LoginMethod['name']): Promise<LoginResponse> {
    const { stores, sessions, publicHost } = this.o;
    const { account, user, settings } = login;
    const { session, tokens } = await sessions.open(account, user, settings, client, now, { method: login.origin ?? method, amr: login.amr, appKey: login.appKey });
    const accountId = account.accountId;
    await stores.users.recordLogin(accountId, user.userId, now);
    const baseURIs = await serviceBaseURIs(stores, accountId, publicHost);
    const groups = { items: await stores.directory.listAgentGroups(accountId), revision: await stores.directory.revision(accountId, 'agentGroups') };
    return this.loginResponse(login, session, tokens, baseURIs, groups, now);
  }

  private loginResponse(
    { account, user }: VerifiedLogin,
    session: SessionRecord,
    tokens: SessionTokens,
    baseURIs: ServiceBaseURI[],
    groups: { items: AgentGroup[]; revision: number },
    now: number,
  ): LoginResponse {
    const serverTimeZone = this.o.serverTimeZone;
    const serverOffset = zoneOffsetMs(serverTimeZone, now);
    return {
      csrf: tokens.csrf,
      wsuk: session.wsuk,
      config: {
        loginName: user.loginName,
        userId: user.userId,
        userPid: user.userPid,
        userPrivileges: session.privileges,
        serverCurrentTime: now,
        // Account wall-clock time minus server wall-clock time (docs/API.md).
        timeDiff: zoneOffsetMs(account.timeZone, now) - serverOffset,
        serverTimeZoneName: serverTimeZone,
        serverTimeGMTDiff: serverOffset,
        isLPA: user.isLPA,
        isAdmin: session.isAdmin,
        accountTimeZoneId: account.timeZone,
      },
      csdsCollectionResponse: {
        baseURIs: baseURIs.map((b) => ({ account: account.accountId, baseURI: b.baseURI, service: b.service })),
      },
      accountData: {
        agentGroupsData: {
          items: groups.items.map((g) => ({ id: g.id, deleted: g.deleted, name: g.name })),
          revision: groups.revision,
        },
      },
      sessionTTl: String(session.ttlMs),
      bearer: tokens.bearer,
      sessionId: tokens.sessionId,
    };
  }
}
