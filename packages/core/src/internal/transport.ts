/**
 * Tells a failure below HTTP that proves the server never saw the request from one that may have reached it.
 * Only the first kind may be retried for a code exchange or a refresh.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type { Redacted } from "effect"
import { TransportError } from "../HmOAuthError.js"
import type { Operation } from "../Operation.js"
import { limits, scrub } from "./redact.js"

/**
 * System, Node and undici error codes raised before a single byte of the request left: no connection, no
 * address, a request that could not be built. A reset or a closed socket is not among them: the request may have
 * been sent.
 */
const notSentCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_INVALID_ARG",
  "ERR_INVALID_URL",
  "ERR_INVALID_CHAR",
  "ERR_INVALID_HTTP_TOKEN",
  "ERR_HTTP_INVALID_HEADER_VALUE"
])

/** The `code` of an error or of any error in its `cause` chain (fetch wraps system errors in a `TypeError`). */
const errorCodes = (error: unknown): ReadonlyArray<string> => {
  const codes: Array<string> = []
  for (let current = error, depth = 0; typeof current === "object" && current !== null && depth < 5; depth++) {
    const { cause, code } = current as { readonly code?: unknown; readonly cause?: unknown }
    if (typeof code === "string") codes.push(code)
    current = cause
  }
  return codes
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : "unknown failure"

/** Translates a platform HTTP client error into a `TransportError`, scrubbed of the request's secrets. */
export const transportError = (
  operation: Operation,
  error: HttpClientError.HttpClientError,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): TransportError => {
  const codes = errorCodes(error.cause)
  const notSent =
    error._tag === "RequestError" && (error.reason !== "Transport" || codes.some((code) => notSentCodes.has(code)))
  // the reason and the codes are the platform's words; only the message may echo what was sent
  const detail = [error.reason, ...codes, scrub(messageOf(error.cause), secrets, limits.description)].join(": ")
  return new TransportError({ operation, mayHaveReachedServer: !notSent, detail })
}
