/**
 * User Login, as in the original documentation's Python example, with the
 * client library. Run: ACCOUNT_ID=… DOMAIN=host[:port] USERNAME=… PASSWORD=… npx tsx examples/user-login.ts
 * (PROTOCOL=http for a server without TLS).
 */
import { LoginServiceClient, LoginServiceError } from '@login-service/client';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required (ACCOUNT_ID, DOMAIN, USERNAME, PASSWORD; PROTOCOL optional)`);
    process.exit(2);
  }
  return value;
}

try {
  const client = new LoginServiceClient({
    accountId: required('ACCOUNT_ID'),
    domain: required('DOMAIN'),
    protocol: (process.env.PROTOCOL || 'https') as 'https' | 'http',
  });
  const response = await client.login({ username: required('USERNAME'), password: required('PASSWORD') });
  // Use csrf and the Session_id cookie in the Refresh and Logout methods.
  console.log(`csrf=${response.csrf}`);
  console.log(`Session ID cookie={'Session_id': '${response.sessionId}'}`);
} catch (error) {
  if (error instanceof LoginServiceError) {
    console.error(`login failed: HTTP ${error.status ?? 'no answer'}, internalCode ${error.internalCode ?? '-'}: ${error.message}`);
  } else {
    console.error(error instanceof Error ? error.message : error);
  }
  process.exit(1);
}
