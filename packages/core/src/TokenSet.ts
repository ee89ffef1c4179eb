/**
 * The tokens one grant returns, as the client keeps them: secrets as `Redacted`, the expiry as an instant
 * (the client's `Clock` at receipt plus `expires_in`), scopes as a list.
 *
 * @since 0.1.0
 */
import { DateTime, Duration, Option, Schema } from "effect"

/** The token response body (spec schema `AccessTokensReponse`), tolerant where High Mobility's SDKs are. */
export const AccessTokenResponse = Schema.Struct({
  access_token: Schema.Redacted(Schema.NonEmptyString),
  token_type: Schema.String.pipe(
    Schema.filter((type) => type.toLowerCase() === "bearer", { message: () => "token_type must be bearer" })
  ),
  /** Seconds; an integer, or a numeric string as some servers send. */
  expires_in: Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int())).pipe(Schema.nonNegative()),
  refresh_token: Schema.optional(Schema.Redacted(Schema.NonEmptyString)),
  scope: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Literal("pending", "approved")),
  authorization_id: Schema.optional(Schema.String),
  validity_start_date: Schema.optional(Schema.DateTimeUtc),
  validity_end_date: Schema.optional(Schema.DateTimeUtc)
})
/** The decoded token response body. */
export type AccessTokenResponse = typeof AccessTokenResponse.Type

/** Tokens of one grant. Encodes to JSON (with the token values) for a token store; prints with them redacted. */
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

/** Builds the token set of a response received at `receivedAt`. */
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
