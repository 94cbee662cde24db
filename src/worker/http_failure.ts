/**
 * Failures of handlers that call HTTP services, classified as Tasker's API handlers classify
 * them: retryable exactly for 408, 429, 500, 502, 503 and 504; an `error_type` named after the
 * status; the message `HTTP <code>: <what the body says>`; and a server's `Retry-After` (seconds
 * or an HTTP date) as the delay before the retry (`retry_after_ms`, which the engine honours in
 * place of the step's backoff, capped at one hour). Unlike Tasker's TypeScript mixin, whose
 * `retry_after_seconds` never reaches its backoff calculator, the delay here is the one used.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import { failure, type StepFailure } from "./step_handler.ts";

/** Statuses whose failures may be retried. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  408: "request_timeout",
  409: "conflict",
  410: "gone",
  422: "unprocessable_entity",
  429: "rate_limited",
  500: "internal_server_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout",
};

/** Tasker's delay when `Retry-After` is present but not understood: 60 s. */
export const UNPARSEABLE_RETRY_AFTER_SECONDS = 60;

/**
 * The `error_type` of a status: Tasker's name for it, else `client_error` (4xx), `server_error`
 * (5xx) or `http_error`.
 *
 * @example
 * ```ts
 * import { httpErrorType } from "@deno-tasker/tasker";
 * httpErrorType(429); // "rate_limited"
 * ```
 */
export function httpErrorType(status: number): string {
  return ERROR_TYPES[status] ??
    (status >= 400 && status < 500
      ? "client_error"
      : status >= 500 && status < 600
      ? "server_error"
      : "http_error");
}

/**
 * A `Retry-After` value in milliseconds: delay-seconds, or an HTTP date (0 when past); 60 s for
 * anything else; undefined when absent.
 *
 * @param value the header's value
 * @param now the current time, for HTTP dates
 *
 * @example
 * ```ts
 * import { retryAfterMs } from "@deno-tasker/tasker";
 * retryAfterMs("120"); // 120000
 * ```
 */
export function retryAfterMs(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (/[a-z]/i.test(text) && !Number.isNaN(date)) return Math.max(0, date - now);
  return UNPARSEABLE_RETRY_AFTER_SECONDS * 1000;
}

/** Options of {@link httpFailure}. */
export interface HttpFailureOptions {
  /** The message after `HTTP <code>: `; default what the body says, else the status text. */
  message?: string;
  /** The body, when already read (otherwise it is read from the response, if unread). */
  body?: unknown;
  /** Extra metadata to store with the failure. */
  metadata?: Record<string, unknown>;
}

/**
 * The failure for an HTTP response that was not a success, classified by its status.
 *
 * @example
 * ```ts
 * import { httpFailure } from "@deno-tasker/tasker";
 * const response = new Response(JSON.stringify({ error: "slow down" }), {
 *   status: 429,
 *   headers: { "retry-after": "2" },
 * });
 * const result = await httpFailure(response);
 * console.log(result.error.message, result.retry_after_ms); // HTTP 429: slow down 2000
 * ```
 */
export async function httpFailure(
  response: Response,
  options: HttpFailureOptions = {},
): Promise<StepFailure> {
  const status = response.status;
  const body = options.body !== undefined ? options.body : await readBody(response);
  const said = options.message ?? bodyMessage(body) ?? (response.statusText || "request failed");
  const headers = Object.fromEntries(response.headers.entries());
  const delay = retryAfterMs(response.headers.get("retry-after"));
  const retryable = RETRYABLE_STATUSES.has(status);
  return failure(`HTTP ${status}: ${said}`, {
    errorType: httpErrorType(status),
    errorCode: `HTTP_${status}`,
    retryable,
    metadata: {
      ...options.metadata,
      status_code: status,
      headers,
      ...(delay === undefined ? {} : { retry_after_seconds: Math.ceil(delay / 1000) }),
      ...(body === undefined ? {} : { response_body: body }),
    },
    ...(delay === undefined || !retryable ? {} : { retryAfterMs: delay }),
  });
}

/**
 * The retryable failure for a request that got no response (DNS, refused, reset):
 * `connection_error`; an abort or timeout is a retryable `timeout`.
 *
 * @example
 * ```ts
 * import { connectionFailure } from "@deno-tasker/tasker";
 * connectionFailure(new TypeError("error sending request")).error.error_type; // "connection_error"
 * ```
 */
export function connectionFailure(
  error: unknown,
  metadata: Record<string, unknown> = {},
): StepFailure {
  const name = error instanceof Error ? error.name : "";
  const message = errorMessage(error);
  const timedOut = name === "TimeoutError" || name === "AbortError";
  return failure(timedOut ? `request timed out: ${message}` : `connection failed: ${message}`, {
    errorType: timedOut ? "timeout" : "connection_error",
    retryable: true,
    metadata,
  });
}

async function readBody(response: Response): Promise<unknown> {
  if (response.bodyUsed || response.body === null) return undefined;
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  }
}

/** Tasker's order of body fields that say what went wrong. */
function bodyMessage(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() || undefined;
  if (typeof body !== "object" || body === null) return undefined;
  for (const key of ["error", "message", "detail", "error_message", "msg"]) {
    const value = (body as Record<string, unknown>)[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}
