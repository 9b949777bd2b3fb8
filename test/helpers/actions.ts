/** The context the administration actions run with, for tests that use them to set up or change data (nothing is audited). */
import type { Clock } from '../../src/clock.js';
import { CLI_ACTOR, type AdminContext } from '../../src/events/actor.js';
import type { PasswordHasher } from '../../src/security/passwords.js';
import type { Stores } from '../../src/store/index.js';

export function actionContext(stores: Stores, clock: Clock): Omit<AdminContext, 'hasher'>;
export function actionContext(stores: Stores, clock: Clock, hasher: PasswordHasher): AdminContext;
export function actionContext(stores: Stores, clock: Clock, hasher?: PasswordHasher): Omit<AdminContext, 'hasher'> & { hasher?: PasswordHasher } {
  return { stores, clock, hasher, audit: null, actor: CLI_ACTOR };
}
