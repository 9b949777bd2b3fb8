/** The one error type of the client library. */

export interface LoginServiceErrorInit {
  /** HTTP status; null when no answer came (network error, timeout, bad address). */
  status: number | null;
  /** The `internalCode` of the service's error body; null when the answer had none. */
  internalCode: number | null;
  message: string;
  /** From a 429's Retry-After header, ms. */
  retryAfterMs?: number | null;
  /** Defaults to the documented rule: true for network errors and 5xx. */
  retryable?: boolean;
  cause?: unknown;
}

/**
 * A call to the Login Service that failed. `retryable` follows the original
 * documentation: 5xx and network errors are worth retrying, 4xx never.
 */
export class LoginServiceError extends Error {
  readonly status: number | null;
  readonly internalCode: number | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;

  constructor(init: LoginServiceErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'LoginServiceError';
    this.status = init.status;
    this.internalCode = init.internalCode;
    this.retryable = init.retryable ?? (init.status === null || init.status >= 500);
    this.retryAfterMs = init.retryAfterMs ?? null;
  }
}

/**
 * The password (or SSO assertion) was right and a second factor is due
 * (internalCode 28): finish the login with `client.completeLogin(error.mfaToken,
 * { otp })` (or `{ recoveryCode }`) within five minutes.
 */
export class SecondFactorRequiredError extends LoginServiceError {
  /** Single use, five minutes, dies after five wrong codes. */
  readonly mfaToken: string;
  /** What the second step accepts: `totp`, `recoveryCode`, `passkey`. */
  readonly factors: string[];

  constructor(init: LoginServiceErrorInit & { mfaToken: string; factors: string[] }) {
    super(init);
    this.name = 'SecondFactorRequiredError';
    this.mfaToken = init.mfaToken;
    this.factors = init.factors;
  }
}

/**
 * The password was right but the account requires a second factor the person
 * has not enrolled (internalCode 29): enrol one with `enrollToken`
 * (docs/API.md, "Second factor"), then log in again.
 */
export class SecondFactorEnrolmentRequiredError extends LoginServiceError {
  readonly enrollToken: string;

  constructor(init: LoginServiceErrorInit & { enrollToken: string }) {
    super(init);
    this.name = 'SecondFactorEnrolmentRequiredError';
    this.enrollToken = init.enrollToken;
  }
}

interface FailedBody {
  error?: { message?: unknown; internalCode?: unknown };
  mfaToken?: unknown;
  factors?: unknown;
  enrollToken?: unknown;
}

/** Reads the contract's error shape `{"error": {"message", "internalCode", …}}` from a failed answer. */
export async function errorFromResponse(response: Response, operation: string): Promise<LoginServiceError> {
  let message = `${operation} failed: HTTP ${response.status}`;
  let internalCode: number | null = null;
  let body: FailedBody | null = null as FailedBody | null;
  try {
    body = (await response.json()) as FailedBody | null;
    if (typeof body?.error?.message === 'string') message = `${operation} failed: ${body.error.message}`;
    if (typeof body?.error?.internalCode === 'number') internalCode = body.error.internalCode;
  } catch {
    // Not the contract's error shape (e.g. a proxy's page): the status says enough.
  }
  const init = { status: response.status, internalCode, message, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
  if (internalCode === 28 && typeof body?.mfaToken === 'string') {
    const factors = Array.isArray(body.factors) ? body.factors.filter((f: unknown): f is string => typeof f === 'string') : [];
    return new SecondFactorRequiredError({ ...init, mfaToken: body.mfaToken, factors });
  }
  if (internalCode === 29 && typeof body?.enrollToken === 'string') return new SecondFactorEnrolmentRequiredError({ ...init, enrollToken: body.enrollToken });
  return new LoginServiceError(init);
}

export function networkError(operation: string, cause: unknown): LoginServiceError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new LoginServiceError({ status: null, internalCode: null, message: `${operation} failed: no answer from the Login Service (${reason})`, cause });
}

function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
