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

/** Reads the contract's error shape `{"error": {"message", "internalCode", …}}` from a failed answer. */
export async function errorFromResponse(response: Response, operation: string): Promise<LoginServiceError> {
  let message = `${operation} failed: HTTP ${response.status}`;
  let internalCode: number | null = null;
  try {
    const body = (await response.json()) as { error?: { message?: unknown; internalCode?: unknown } };
    if (typeof body?.error?.message === 'string') message = `${operation} failed: ${body.error.message}`;
    if (typeof body?.error?.internalCode === 'number') internalCode = body.error.internalCode;
  } catch {
    // Not the contract's error shape (e.g. a proxy's page): the status says enough.
  }
  return new LoginServiceError({ status: response.status, internalCode, message, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) });
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
