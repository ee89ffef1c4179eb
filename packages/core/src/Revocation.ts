/**
 * `DELETE /v1/access_tokens` (RFC 7009, with High Mobility's method): revokes an access or refresh token.
 * Revoking an unknown or already revoked token succeeds too, so revocation is safe to retry.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Redacted, Schema } from "effect"
import { HmHttpClient } from "./HmHttpClient.js"
import { HmOAuthConfig } from "./HmOAuthConfig.js"
import type { RevocationError } from "./HmOAuthError.js"
import { authenticationFields } from "./internal/clientAuthentication.js"

/**
 * The token to revoke, and optionally which kind it is (a hint the server may use to find it faster).
 *
 * @since 0.1.0
 * @category models
 */
export interface RevokeParams {
  readonly token: Redacted.Redacted<string>
  readonly tokenTypeHint?: "access_token" | "refresh_token" | undefined
}

/**
 * The revocation endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Revokes the token; a refresh token takes the access tokens of its grant with it. */
  readonly revoke: (params: RevokeParams) => Effect.Effect<void, RevocationError>
}

/**
 * The revocation endpoint.
 *
 * @since 0.1.0
 * @category tags
 */
export class Revocation extends Context.Tag("@hm-oauth/core/Revocation")<Revocation, Service>() {}

/** A revocation's answer says nothing the client keeps: whatever its body, it is dropped, not carried to the span. */
const Revoked = Schema.transform(Schema.Unknown, Schema.Void, {
  strict: true,
  decode: () => undefined,
  encode: () => undefined
})

/**
 * Builds the revocation endpoint over the shared `HmHttpClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, HmOAuthConfig | HmHttpClient> = Effect.gen(function* () {
  const http = yield* HmHttpClient
  const authenticate = authenticationFields(yield* HmOAuthConfig)
  return Revocation.of({
    revoke: (params) =>
      http.execute(
        "revoke",
        {
          fields: Effect.map(authenticate, (authentication) => ({
            token: params.token,
            token_type_hint: params.tokenTypeHint,
            ...authentication
          }))
        },
        Revoked
      )
  })
})

/**
 * The revocation endpoint; `HmHttpClient.layer` provides what it needs.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Revocation, never, HmOAuthConfig | HmHttpClient> = Layer.effect(Revocation, make)
