/**
 * `POST /v1/access_tokens`: exchanges a consent code, refreshes, and gets application tokens with client
 * credentials. Code exchange and refresh are never replayed once they may have reached the server (see `Retry`).
 *
 * @since 0.1.0
 */
import { Context, DateTime, Effect, Layer, type Redacted } from "effect"
import { type Fields, HmHttpClient } from "./HmHttpClient.js"
import { HmOAuthConfig } from "./HmOAuthConfig.js"
import type { ClientCredentialsError, ExchangeCodeError, RefreshError } from "./HmOAuthError.js"
import { authenticationFields } from "./internal/clientAuthentication.js"
import type { ErrorOf } from "./Operation.js"
import * as TokenSet from "./TokenSet.js"

/**
 * The code from the consent callback, the redirect URI used on the consent page, and the PKCE verifier if any:
 * `{ ...consentRequest, code }` with the `Authorization.ConsentRequest` the consent began with.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExchangeCodeParams {
  readonly code: Redacted.Redacted<string>
  /** Must be identical to the one on the consent page. */
  readonly redirectUri: string
  readonly codeVerifier?: Redacted.Redacted<string> | undefined
}

/**
 * Optional scopes for an application token.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentialsParams {
  readonly scope?: string | ReadonlyArray<string> | undefined
}

/**
 * The token endpoint. Each method fails with exactly the errors its operation can produce (see `Operation`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `grant_type=authorization_code`: the tokens for the car whose owner just consented. Never replayed once sent. */
  readonly exchangeCode: (params: ExchangeCodeParams) => Effect.Effect<TokenSet.TokenSet, ExchangeCodeError>
  /** `grant_type=refresh_token`: a new access token; keep the returned refresh token, the old one may be spent. */
  readonly refresh: (refreshToken: Redacted.Redacted<string>) => Effect.Effect<TokenSet.TokenSet, RefreshError>
  /** `grant_type=client_credentials`: an application token, with the client secret or a client assertion. */
  readonly clientCredentials: (
    params?: ClientCredentialsParams
  ) => Effect.Effect<TokenSet.TokenSet, ClientCredentialsError>
}

/**
 * The token endpoint.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenEndpoint extends Context.Tag("@hm-oauth/core/TokenEndpoint")<TokenEndpoint, Service>() {}

/**
 * Builds the token endpoint over the shared `HmHttpClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, HmOAuthConfig | HmHttpClient> = Effect.gen(function* () {
  const config = yield* HmOAuthConfig
  const http = yield* HmHttpClient
  const authenticate = authenticationFields(config)

  const requestTokens = <O extends "exchangeCode" | "refresh" | "clientCredentials">(
    operation: O,
    grant: Fields
  ): Effect.Effect<TokenSet.TokenSet, ErrorOf<O>> =>
    http
      .execute(
        operation,
        { fields: Effect.map(authenticate, (authentication) => ({ ...grant, ...authentication })) },
        TokenSet.AccessTokenResponse
      )
      .pipe(Effect.flatMap((response) => Effect.map(DateTime.now, (now) => TokenSet.fromResponse(response, now))))

  return TokenEndpoint.of({
    exchangeCode: (params) =>
      requestTokens("exchangeCode", {
        grant_type: "authorization_code",
        code: params.code,
        redirect_uri: params.redirectUri,
        code_verifier: params.codeVerifier
      }),
    refresh: (refreshToken) => requestTokens("refresh", { grant_type: "refresh_token", refresh_token: refreshToken }),
    clientCredentials: (params) => {
      const scope = typeof params?.scope === "string" ? params.scope : params?.scope?.join(" ")
      return requestTokens("clientCredentials", { grant_type: "client_credentials", scope })
    }
  })
})

/**
 * The token endpoint; `HmHttpClient.layer` provides what it needs.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<TokenEndpoint, never, HmOAuthConfig | HmHttpClient> = Layer.effect(TokenEndpoint, make)
