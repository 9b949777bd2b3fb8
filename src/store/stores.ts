/**
 * The storage of the whole service: one small contract per feature, each
 * declared beside its feature (accounts/model.ts, directory/model.ts, …), and
 * backends that implement them all. Routes and logic only ever see `Stores`.
 *
 * A file of its own, so that the backends can name the contract without
 * importing store/index.ts, which imports them.
 */
import type { AccountStore } from '../accounts/model.js';
import type { ApiKeyStore, UserStore } from '../directory/model.js';
import type { SessionStore } from '../sessions/model.js';
import type { CounterStore } from '../security/counters.js';
import type { EventStore } from '../events/model.js';
import type { DirectoryStore } from '../directory/model.js';
import type { OAuthGrantStore, SigningKeyStore } from '../oauth/model.js';
import type { FactorStore } from '../factors/model.js';

export interface Stores {
  /** Names the backends in use, e.g. "sqlite", "postgres", "postgres+redis". */
  backend: string;
  accounts: AccountStore;
  users: UserStore;
  apiKeys: ApiKeyStore;
  sessions: SessionStore;
  counters: CounterStore;
  events: EventStore;
  /** Agent groups, profiles and revisions (SQL only: Redis keeps sessions, counters and OAuth grants). */
  directory: DirectoryStore;
  /** OAuth codes, refresh-token families and revocation marks: where sessions are (SQL, or Redis). */
  oauth: OAuthGrantStore;
  /** OAuth signing keys (SQL only: every instance signs with the same key). */
  signingKeys: SigningKeyStore;
  /** Second factors and their tickets (SQL only). */
  factors: FactorStore;
  /** Resolves when every backend answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
