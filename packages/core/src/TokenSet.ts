/**
 * The tokens one grant returns, as the client keeps them: secrets as `Redacted`, the expiry as an instant
 * (the client's `Clock` at receipt plus `expires_in`), scopes as a list.
 *
 * @since 0.1.0
 */
import { DateTime, Duration, Option, Redacted, Schema } from "effect"
import { bearerToken, visibleAscii } from "./internal/syntax.js"

/**
 * The longest `expires_in` accepted: a year. Anything longer is a broken server, and would put the expiry where
 * dates stop being dates.
 *
 * @since 0.1.0
 * @category models
 */
export const maxLifetimeSeconds = 366 * 24 * 60 * 60

/**
 * Text checked by `text`, decoded straight into `Redacted`. `Schema.Redacted` checks its value again on the
 * `Redacted` side and wraps it twice, which costs a token response more than the rest of its decoding.
 */
const redacted = (text: Schema.Schema<string>) =>
  Schema.transform(
    text,
    Schema.declare((value): value is Redacted.Redacted<string> => Redacted.isRedacted(value), {
      identifier: "Redacted"
    }),
    { strict: true, decode: (value) => Redacted.make(value), encode: (value) => Redacted.value(value) }
  )

const AccessToken = Schema.String.pipe(
  Schema.pattern(bearerToken),
  Schema.annotations({ description: "a bearer token (RFC 6750 §2.1 characters)" })
)

const RefreshToken = Schema.String.pipe(
  Schema.pattern(visibleAscii),
  Schema.annotations({ description: "a refresh token (RFC 6749 visible ASCII)" })
)

const Lifetime = Schema.Union(
  Schema.Number,
  // some servers send a numeric string
  Schema.compose(Schema.String.pipe(Schema.pattern(/^\d{1,10}$/)), Schema.NumberFromString)
).pipe(
  Schema.int(),
  Schema.between(1, maxLifetimeSeconds),
  Schema.annotations({ description: `whole seconds from 1 to ${maxLifetimeSeconds}` })
)

/** ISO 8601 with a time and an offset, from 1970 to 9999, as the spec's examples (which carry microseconds). */
const Instant = Schema.compose(
  Schema.String.pipe(
    Schema.pattern(/^(19[7-9]\d|[2-9]\d{3})-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/)
  ),
  Schema.DateTimeUtc
).pipe(Schema.annotations({ description: "an ISO 8601 instant between 1970 and 9999" }))

/**
 * The token response body (spec schema `AccessTokensReponse`), tolerant where High Mobility's SDKs are, and
 * bounded where a server could hand over what the client cannot use.
 *
 * @since 0.1.0
 * @category models
 */
export const AccessTokenResponse = Schema.Struct({
  access_token: redacted(AccessToken),
  token_type: Schema.String.pipe(
    Schema.filter((type) => type.toLowerCase() === "bearer"),
    Schema.annotations({ description: "bearer" })
  ),
  expires_in: Lifetime,
  refresh_token: Schema.optional(redacted(RefreshToken)),
  scope: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Literal("pending", "approved")),
  authorization_id: Schema.optional(Schema.String),
  validity_start_date: Schema.optional(Instant),
  validity_end_date: Schema.optional(Instant)
}).pipe(
  Schema.filter(
    ({ validity_end_date: end, validity_start_date: start }) =>
      start === undefined || end === undefined || DateTime.lessThanOrEqualTo(start, end),
    { description: "a validity window that ends after it starts" }
  )
)
/**
 * The decoded token response body.
 *
 * @since 0.1.0
 * @category models
 */
export type AccessTokenResponse = typeof AccessTokenResponse.Type

/**
 * Tokens of one grant. Encodes to JSON (with the token values) for a token store; prints with them redacted.
 *
 * @since 0.1.0
 * @category models
 */
export class TokenSet extends Schema.Class<TokenSet>("@hm-oauth/core/TokenSet")({
  accessToken: Schema.Redacted(Schema.String),
  refreshToken: Schema.optionalWith(Schema.Redacted(Schema.String), { as: "Option" }),
  /** Always `bearer`. */
  tokenType: Schema.String,
  expiresAt: Schema.DateTimeUtc,
  scopes: Schema.Array(Schema.String),
  /** `pending` until the owner approves in the carmaker's portal (BMW, MINI); `approved` when the server says nothing. */
  status: Schema.Literal("pending", "approved"),
  /** Referenced by the `authorization_changed` webhook. */
  authorizationId: Schema.optionalWith(Schema.String, { as: "Option" }),
  /** The consent's validity window, when the server gives one. */
  validFrom: Schema.optionalWith(Schema.DateTimeUtc, { as: "Option" }),
  validUntil: Schema.optionalWith(Schema.DateTimeUtc, { as: "Option" })
}) {
  /** Whether the access token has expired at `now`, or will within `leeway` (default none). */
  isExpired(now: DateTime.Utc, leeway: Duration.DurationInput = Duration.zero): boolean {
    return DateTime.greaterThanOrEqualTo(DateTime.addDuration(now, leeway), this.expiresAt)
  }
}

/**
 * Builds the token set of a response received at `receivedAt`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromResponse = (response: AccessTokenResponse, receivedAt: DateTime.Utc): TokenSet =>
  new TokenSet(
    {
      accessToken: response.access_token,
      refreshToken: Option.fromNullable(response.refresh_token),
      tokenType: "bearer",
      expiresAt: DateTime.addDuration(receivedAt, Duration.seconds(response.expires_in)),
      scopes: (response.scope ?? "").split(" ").filter((scope) => scope !== ""),
      status: response.status ?? "approved",
      authorizationId: Option.fromNullable(response.authorization_id),
      validFrom: Option.fromNullable(response.validity_start_date),
      validUntil: Option.fromNullable(response.validity_end_date)
    },
    // every field comes from a decoded response: validating them again would only cost time
    true
  )
