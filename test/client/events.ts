import type { LoginServiceClient, LoginServiceClientEvents } from '@login-service/client';

/** Resolves with the arguments of the client's next `event` (as node:events' once does for an EventEmitter). */
export function once<K extends keyof LoginServiceClientEvents>(client: LoginServiceClient, event: K): Promise<LoginServiceClientEvents[K]> {
  return new Promise((resolve) => client.once(event, (...args) => resolve(args)));
}
