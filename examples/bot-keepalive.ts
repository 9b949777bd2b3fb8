/**
 * A bot: logs in with an API key, keeps the session alive (refresh every
 * 5 minutes, log in again when the session is lost), and logs out on
 * SIGINT/SIGTERM or after DURATION_MS.
 *
 * Environment: ACCOUNT_ID, DOMAIN (host[:port] of the Login Service) or
 * CSDS_DOMAIN (host of the Domain API), USERNAME (the bot's login name),
 * APP_KEY, SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET; optional PROTOCOL
 * (https), KEEPALIVE_INTERVAL_MS (300000), DURATION_MS (run until a signal).
 */
import { LoginServiceClient, LoginServiceError } from '@login-service/client';

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}

function optionalMs(name: string): number | undefined {
  const raw = process.env[name];
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw)) {
    console.error(`${name} must be a whole number of milliseconds`);
    process.exit(2);
  }
  return Number(raw);
}

const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`);
const describe = (error: Error) =>
  error instanceof LoginServiceError ? `HTTP ${error.status ?? 'no answer'}, internalCode ${error.internalCode ?? '-'}: ${error.message}` : error.message;

const where = process.env.CSDS_DOMAIN ? { csdsDomain: process.env.CSDS_DOMAIN } : { domain: env('DOMAIN') };
const client = new LoginServiceClient({
  accountId: env('ACCOUNT_ID'),
  ...where,
  protocol: (process.env.PROTOCOL || 'https') as 'https' | 'http',
  keepAliveIntervalMs: optionalMs('KEEPALIVE_INTERVAL_MS'),
});
const durationMs = optionalMs('DURATION_MS');

client.on('refreshed', () => log('session refreshed'));
client.on('retrying', (n) => log(`${n.operation} failed (${describe(n.error)}); retry ${n.attempt} in ${n.delayMs} ms`));
client.on('sessionExpired', (error) => log(`session lost (${describe(error)}); logging in again`));
client.on('relogin', (response) => log(`logged in again as ${response.config.loginName}`));
client.on('keepAliveFailed', (error) => {
  log(`keep-alive gave up: ${describe(error)}`);
  process.exit(1);
});

try {
  const response = await client.login({
    username: env('USERNAME'),
    appKey: env('APP_KEY'),
    secret: env('SECRET'),
    accessToken: env('ACCESS_TOKEN'),
    accessTokenSecret: env('ACCESS_TOKEN_SECRET'),
  });
  log(`logged in as ${response.config.loginName} (user ${response.config.userId}), session TTL ${response.sessionTTl} ms`);
} catch (error) {
  log(`login failed: ${describe(error as Error)}`);
  process.exit(1);
}
client.startKeepAlive();

let stopping = false;
async function stop(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`stopping (${reason})`);
  try {
    await client.logout();
    log('logged out');
    process.exit(0);
  } catch (error) {
    log(`logout failed: ${describe(error as Error)}`);
    process.exit(1);
  }
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
if (durationMs !== undefined) setTimeout(() => void stop(`ran ${durationMs} ms`), durationMs);
