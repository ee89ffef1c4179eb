/**
 * Every failure the client reports, one class per thing a caller would handle differently, and the exact union
 * each operation fails with (derived from the table in `Operation`).
 *
 * No error ever carries a secret: text a server sends is shown only scrubbed of the request's secrets and of
 * anything that looks like a token, and bounded in size (see `internal/redact.ts`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { type ErrorOf, Operation } from "./Operation.js"

/**
 * What an OAuth protocol error means for the caller, classified from the RFC 6749 error code and — because
 * High Mobility answers `invalid_request` for nearly everything — from the error description.
 * - `InvalidGrant`: the code, refresh token or verifier is dead or wrong: the owner must consent again.
 * - `InvalidClient`: client id, secret or service-account key is wrong: every grant is affected.
 * - `InvalidRequest`: a parameter is missing or malformed.
 * - `UnsupportedGrantType`, `InvalidScope`, `UnauthorizedClient`: the request is not allowed as sent.
 * - `Unknown`: an error code this client does not recognise.
 */
export const OAuthErrorReason = Schema.Literal(
  "InvalidGrant",
  "InvalidClient",
  "InvalidRequest",
  "UnsupportedGrantType",
  "InvalidScope",
  "UnauthorizedClient",
  "Unknown"
)
/** What an OAuth protocol error means for the caller. */
export type OAuthErrorReason = typeof OAuthErrorReason.Type

/** The server refused the request with an OAuth error body (`{ error, error_description }`). Never retried. */
export class OAuthProtocolError extends Schema.TaggedError<OAuthProtocolError>()("OAuthProtocolError", {
  operation: Operation,
  status: Schema.Number,
  /** The RFC 6749 error code as sent, e.g. `invalid_request`. */
  error: Schema.String,
  description: Schema.optional(Schema.String),
  reason: OAuthErrorReason
}) {
  override get message() {
    return `${this.operation} refused (${this.status} ${this.error}${this.description ? `: ${this.description}` : ""})`
  }
}

/**
 * What a vehicleinfo refusal means: refresh the token (`ExpiredToken`), ask the owner again (`ConsentRevoked`,
 * `NoActiveConsent`), wait for the carmaker's approval (`ConsentPending`), or get a new token (`InvalidToken`).
 */
export const UnauthorizedReason = Schema.Literal(
  "InvalidToken",
  "ExpiredToken",
  "ConsentPending",
  "ConsentRevoked",
  "NoActiveConsent",
  "Unknown"
)
/** What a vehicleinfo refusal means. */
export type UnauthorizedReason = typeof UnauthorizedReason.Type

/** The access token was refused (401 or 403), parsed from any of High Mobility's three error shapes. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  operation: Operation,
  status: Schema.Number,
  /** `error` of `{ error, error_description }`, or the `title` of `{ errors: [{ title, detail }] }`. */
  error: Schema.String,
  description: Schema.optional(Schema.String),
  requestId: Schema.optional(Schema.String),
  reason: UnauthorizedReason
}) {
  override get message() {
    return `${this.operation} unauthorized (${this.status} ${this.error}${this.description ? `: ${this.description}` : ""})`
  }
}

/**
 * The access token handed to vehicle info cannot be a bearer token: it holds characters outside RFC 6750 §2.1's
 * token alphabet, so it was not sent (it could not go into an `Authorization` header). Get a new token.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidAccessToken extends Schema.TaggedError<InvalidAccessToken>()("InvalidAccessToken", {
  operation: Operation
}) {
  override get message() {
    return `${this.operation} not sent: the access token is not an RFC 6750 bearer token`
  }
}

/** The server answered 429. `retryAfter` is the parsed `Retry-After` header, when there was one. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  operation: Operation,
  retryAfter: Schema.optional(Schema.DurationFromSelf)
}) {
  override get message() {
    return `${this.operation} rate limited (429)`
  }
}

/** The server answered with a 5xx status. */
export class ServerUnavailable extends Schema.TaggedError<ServerUnavailable>()("ServerUnavailable", {
  operation: Operation,
  status: Schema.Number,
  retryAfter: Schema.optional(Schema.DurationFromSelf)
}) {
  override get message() {
    return `${this.operation} failed: server error ${this.status}`
  }
}

/** One attempt took longer than the configured per-attempt timeout. */
export class RequestTimeout extends Schema.TaggedError<RequestTimeout>()("RequestTimeout", {
  operation: Operation,
  timeoutMillis: Schema.Number
}) {
  override get message() {
    return `${this.operation} timed out after ${this.timeoutMillis} ms`
  }
}

/**
 * The request failed below HTTP. `mayHaveReachedServer` is false only when the failure proves the server never
 * saw the request (connection refused, name not resolved, request not encodable).
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  operation: Operation,
  mayHaveReachedServer: Schema.Boolean,
  detail: Schema.String
}) {
  override get message() {
    return `${this.operation} transport failure (${this.detail})`
  }
}

/**
 * The server answered something this client cannot use: not JSON, an HTML error page, the wrong shape, or a
 * success status carrying an error body. `excerpt` is the start of the body with token values redacted.
 */
export class UnexpectedResponse extends Schema.TaggedError<UnexpectedResponse>()("UnexpectedResponse", {
  operation: Operation,
  status: Schema.Number,
  problem: Schema.String,
  excerpt: Schema.String
}) {
  override get message() {
    return `${this.operation} got an unexpected ${this.status} response: ${this.problem}`
  }
}

/**
 * A request that must not be replayed (a code exchange or a refresh) may have been acted on, and its tokens never
 * reached the client: the code may be spent or the refresh token rotated. `failure` says how they were lost: no
 * answer in time, a broken connection, a server error, or a success whose body could not be read.
 */
export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>()("OutcomeUnknown", {
  operation: Operation,
  failure: Schema.Union(RequestTimeout, TransportError, ServerUnavailable, UnexpectedResponse)
}) {
  override get message() {
    return `${this.operation} outcome unknown: the request may have been processed (${this.failure.message})`
  }
}

/** The service-account key could not be read or used to sign a client assertion. */
export class InvalidServiceAccountKey extends Schema.TaggedError<InvalidServiceAccountKey>()(
  "InvalidServiceAccountKey",
  { detail: Schema.String }
) {
  override get message() {
    return `invalid service-account key: ${this.detail}`
  }
}

/** The consent callback carried a `state` other than the one this client generated: possible CSRF. */
export class StateMismatch extends Schema.TaggedError<StateMismatch>()("StateMismatch", {}) {
  override get message() {
    return "consent callback state does not match the state sent"
  }
}

/** The car owner declined the consent (`error=access_denied`). */
export class AccessDenied extends Schema.TaggedError<AccessDenied>()("AccessDenied", {
  description: Schema.optional(Schema.String)
}) {
  override get message() {
    return `consent denied by the owner${this.description ? `: ${this.description}` : ""}`
  }
}

/** The consent page redirected back with an `error` other than `access_denied`. */
export class AuthorizationFailed extends Schema.TaggedError<AuthorizationFailed>()("AuthorizationFailed", {
  error: Schema.String,
  description: Schema.optional(Schema.String)
}) {
  override get message() {
    return `consent failed: ${this.error}${this.description ? ` (${this.description})` : ""}`
  }
}

/** The callback URL is not a URL, or carries neither a code nor an error. */
export class InvalidCallback extends Schema.TaggedError<InvalidCallback>()("InvalidCallback", {
  problem: Schema.String
}) {
  override get message() {
    return `invalid consent callback: ${this.problem}`
  }
}

/** Everything parsing a consent callback can fail with. */
export type CallbackError = StateMismatch | AccessDenied | AuthorizationFailed | InvalidCallback

/**
 * Everything a code exchange can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type ExchangeCodeError = ErrorOf<"exchangeCode">
/**
 * Everything a refresh can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type RefreshError = ErrorOf<"refresh">
/**
 * Everything a client-credentials request can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type ClientCredentialsError = ErrorOf<"clientCredentials">
/**
 * Everything `TokenEndpoint` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type TokenEndpointError = ExchangeCodeError | RefreshError | ClientCredentialsError
/**
 * Everything `Revocation` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type RevocationError = ErrorOf<"revoke">
/**
 * Everything `VehicleInfo` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type VehicleInfoError = ErrorOf<"vehicleInfo">
/**
 * Every error of a call that reached for the network.
 *
 * @since 0.1.0
 * @category errors
 */
export type HmOAuthError = ErrorOf<Operation>
