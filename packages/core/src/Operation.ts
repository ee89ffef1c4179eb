/**
 * Every call the client makes, described once: its method and path, what its answers speak, and whether it may
 * be repeated. The error type of each operation is derived from this table, and the client's retry rules and
 * answer reading are picked from it, so a new operation cannot be added without deciding each.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type {
  InvalidAccessToken,
  OAuthProtocolError,
  OutcomeUnknown,
  RateLimited,
  RequestTimeout,
  ServerUnavailable,
  TransportError,
  Unauthorized,
  UnexpectedResponse
} from "./HmOAuthError.js"

/**
 * The client operations, named as in errors and spans.
 *
 * @since 0.1.0
 * @category models
 */
export const Operation = Schema.Literal("exchangeCode", "refresh", "clientCredentials", "revoke", "vehicleInfo")
/**
 * The client operations, named as in errors and spans.
 *
 * @since 0.1.0
 * @category models
 */
export type Operation = typeof Operation.Type

/**
 * What an operation's refusals look like:
 * - `token`: the token endpoint's OAuth error bodies (RFC 6749 §5.2), client authentication in the body;
 * - `resource`: a bearer-token resource (RFC 6750), refused with High Mobility's three error shapes.
 *
 * @since 0.1.0
 * @category models
 */
export type Answers = "token" | "resource"

/**
 * Whether repeating the operation can change its outcome:
 * - `idempotent`: repeating it is harmless, so every transient failure may be retried;
 * - `once`: a repeat can lose data (a code is single-use, a refresh may rotate the refresh token), so only a
 *   request that provably never reached the server is retried, and a lost answer is `OutcomeUnknown`.
 *
 * @since 0.1.0
 * @category models
 */
export type Idempotency = "idempotent" | "once"

/**
 * One operation's description.
 *
 * @since 0.1.0
 * @category models
 */
export interface Description {
  /** The name of the span every call is recorded under: the service method a user called. */
  readonly span: string
  readonly method: "GET" | "POST" | "DELETE"
  /** Below the base URL. */
  readonly path: `/${string}`
  readonly answers: Answers
  readonly idempotency: Idempotency
}

/**
 * The table. `satisfies` makes the compiler demand an entry, with every field decided, for each operation.
 *
 * @since 0.1.0
 * @category models
 */
export const operations = {
  exchangeCode: {
    span: "TokenEndpoint.exchangeCode",
    method: "POST",
    path: "/v1/access_tokens",
    answers: "token",
    idempotency: "once"
  },
  refresh: {
    span: "TokenEndpoint.refresh",
    method: "POST",
    path: "/v1/access_tokens",
    answers: "token",
    idempotency: "once"
  },
  clientCredentials: {
    span: "TokenEndpoint.clientCredentials",
    method: "POST",
    path: "/v1/access_tokens",
    answers: "token",
    idempotency: "idempotent"
  },
  // RFC 7009 §2.2: revoking an unknown or revoked token succeeds too, so a repeat changes nothing
  revoke: {
    span: "Revocation.revoke",
    method: "DELETE",
    path: "/v1/access_tokens",
    answers: "token",
    idempotency: "idempotent"
  },
  vehicleInfo: {
    span: "VehicleInfo.get",
    method: "GET",
    path: "/v1/vehicleinfo",
    answers: "resource",
    idempotency: "idempotent"
  }
} as const satisfies { readonly [O in Operation]: Description }

/**
 * The refusals an operation's answers can carry. Vehicle info never yields an `OAuthProtocolError`: any other
 * client error it gets is an `UnexpectedResponse`.
 *
 * @since 0.1.0
 * @category errors
 */
export type RefusalOf<A extends Answers> = {
  readonly token: OAuthProtocolError
  readonly resource: Unauthorized | InvalidAccessToken
}[A]

/**
 * What one attempt can end with besides an answer the caller acts on: the failures a retry may follow, and an
 * answer the client cannot use.
 *
 * @since 0.1.0
 * @category errors
 */
export type AttemptFailure = RateLimited | ServerUnavailable | RequestTimeout | TransportError | UnexpectedResponse

/**
 * What the attempts of an operation end with once retries are over. An operation that runs `once` never
 * reports a timeout or a server error as such: its answer was lost, the outcome is unknown.
 *
 * @since 0.1.0
 * @category errors
 */
export type ConcludedFailure<I extends Idempotency> = {
  readonly idempotent: AttemptFailure
  readonly once: RateLimited | TransportError | UnexpectedResponse | OutcomeUnknown
}[I]

/**
 * What operation `O`'s answers speak, from the table.
 *
 * @since 0.1.0
 * @category models
 */
export type AnswersOf<O extends Operation> = (typeof operations)[O]["answers"]

/**
 * Operation `O`'s idempotency, from the table.
 *
 * @since 0.1.0
 * @category models
 */
export type IdempotencyOf<O extends Operation> = (typeof operations)[O]["idempotency"]

/**
 * What operation `O`'s answers speak. Typed by the operation, so the compiler follows each one's kind through
 * generic code.
 *
 * @since 0.1.0
 * @category getters
 */
export const answersOf = <O extends Operation>(operation: O): AnswersOf<O> => operations[operation].answers

/**
 * Operation `O`'s idempotency, typed by the operation.
 *
 * @since 0.1.0
 * @category getters
 */
export const idempotencyOf = <O extends Operation>(operation: O): IdempotencyOf<O> => operations[operation].idempotency

/**
 * Exactly the errors operation `O` can fail with, derived from its entry in the table.
 *
 * @since 0.1.0
 * @category errors
 */
export type ErrorOf<O extends Operation> = RefusalOf<AnswersOf<O>> | ConcludedFailure<IdempotencyOf<O>>
